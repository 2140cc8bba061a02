"""One turn's model loop: call the model, run read-only tools, park destructive ones.

The loop only streams text; what the turn produced (messages, pending actions, usage,
the final outcomes) is collected on :class:`TurnState` so the core can persist it in one
transaction *before* showing the user a Confirm button that refers to it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.config import Settings
from bot.llm.route import ProviderRoute
from bot.llm.types import (
    ChatMessage,
    Completed,
    ErrorKind,
    ModelRequest,
    Provider,
    ProviderError,
    TextChunk,
)
from bot.notices import provider_notice
from bot.outcomes import Outcome, Reply, TextDelta
from bot.storage.customers import CustomerView
from bot.storage.store import NewPending
from bot.tool_calls import ToolCaller
from bot.tools.registry import ToolContext, ToolRegistry
from bot.usage import Pricer, UsageEntry, log_usage

PARAGRAPH = "\n\n"
EMPTY_REPLY = (
    "Sorry, I don't have an answer to that. Could you rephrase, or ask me to hand this to a "
    "human agent?"
)
ROUND_CAP_REPLY = (
    "Sorry, I couldn't finish looking that up. Could you rephrase, or ask me to hand this "
    "to a human agent?"
)


@dataclass
class TurnState:
    """Inputs of one turn and everything it produces."""

    conversation_id: int
    user_key: str
    display_name: str
    customer: CustomerView | None
    premium: bool
    system: str
    history: list[ChatMessage]
    endpoint: str
    new_messages: list[ChatMessage] = field(default_factory=list)
    pendings: list[NewPending] = field(default_factory=list)
    usage: list[UsageEntry] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    completed: Completed | None = None  # the current round's model answer

    def add(self, message: ChatMessage) -> None:
        self.history.append(message)
        self.new_messages.append(message)


class TurnRunner:
    """Runs the model loop for a :class:`TurnState`."""

    def __init__(
        self,
        settings: Settings,
        provider: Callable[[str], Provider],
        tools: ToolRegistry,
        pricer: Pricer,
        clock: Clock,
        tool_context: Callable[[TurnState], ToolContext | None],
    ) -> None:
        self._settings = settings
        self._provider = provider
        self._specs = tools.specs
        self._caller = ToolCaller(tools, clock, settings.pending_action_ttl_s)
        self._pricer = pricer
        self._clock = clock
        self._tool_context = tool_context
        self._configuration_logged: set[str] = set()

    async def run(self, state: TurnState) -> AsyncIterator[TextDelta]:
        """Stream the reply's text; leave outcomes on ``state``."""
        settings = self._settings
        route = ProviderRoute(
            settings.llm_provider, settings.llm_fallback_provider, settings.llm_timeout_s
        )
        for _round in range(settings.llm_max_tool_rounds):
            round_text: list[str] = []
            async for delta in self._round(state, route, round_text):
                yield delta
            completed = state.completed
            if completed is None:
                return  # the round failed: its notice is on state.outcomes
            text = "".join(round_text)
            if not completed.tool_calls:
                if not state.text:  # a refusal or a content filter left nothing to say
                    text = EMPTY_REPLY
                    state.text.append(text)
                state.add(ChatMessage("assistant", text))
                state.outcomes.append(Reply("".join(state.text)))
                return
            state.add(ChatMessage("assistant", text, completed.tool_calls))
            calls = completed.tool_calls
            confirmations = await self._caller.answer(state, self._tool_context(state), calls)
            if confirmations:
                if state.text:
                    state.outcomes.append(Reply("".join(state.text)))
                state.outcomes.extend(confirmations)
                return
        state.add(ChatMessage("assistant", ROUND_CAP_REPLY))
        state.outcomes.append(Reply(ROUND_CAP_REPLY))

    async def _round(
        self, state: TurnState, route: ProviderRoute, round_text: list[str]
    ) -> AsyncIterator[TextDelta]:
        """One model call (failing over once if it must); sets ``state.completed``."""
        state.completed = None
        while True:
            try:
                async for event in self._call(route, state):
                    if isinstance(event, Completed):
                        state.completed = event
                        continue
                    if not round_text:
                        route.committed()
                        if state.text:  # a new round's text starts a new paragraph
                            state.text.append(PARAGRAPH)
                            yield TextDelta(PARAGRAPH)
                    round_text.append(event.text)
                    state.text.append(event.text)
                    yield TextDelta(event.text)
                return
            except ProviderError as error:
                if not round_text and route.fail_over(error):
                    continue
                state.outcomes.append(
                    provider_notice(error, route.provider, self._configuration_logged)
                )
                return

    async def _call(
        self, route: ProviderRoute, state: TurnState
    ) -> AsyncIterator[TextChunk | Completed]:
        """One model call under the route's deadline; its usage is logged and kept."""
        provider_name = route.provider
        request = ModelRequest(
            model=self._settings.model_for(provider_name, state.premium),
            system=state.system,
            messages=tuple(state.history),
            tools=self._specs,
            max_output_tokens=self._settings.llm_max_output_tokens,
            user=state.user_key,
            deadline=route.deadline,
        )
        started = time.perf_counter()
        stream = self._provider(provider_name).stream(request)
        try:
            while True:
                try:
                    async with asyncio.timeout_at(route.deadline):
                        event = await anext(stream)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    raise ProviderError(ErrorKind.TIMEOUT, "the turn's deadline passed") from None
                if isinstance(event, Completed):
                    self._record_usage(provider_name, state, event, started)
                yield event
        finally:
            await stream.aclose()

    def _record_usage(
        self, provider_name: str, state: TurnState, completed: Completed, started: float
    ) -> None:
        entry = UsageEntry(
            at=self._clock.now(),
            user_key=state.user_key,
            conversation_id=state.conversation_id,
            provider=provider_name,
            model=completed.model,
            endpoint=state.endpoint,
            tokens=completed.usage,
            cost_micros=self._pricer.cost_micros(provider_name, completed.model, completed.usage),
            duration_ms=round((time.perf_counter() - started) * 1000),
        )
        log_usage(entry)
        state.usage.append(entry)
