"""One turn's model loop: call the model, run read-only tools, park destructive ones.

The loop only streams text; what the turn produced (messages, pending actions, usage,
the final outcomes) is collected on :class:`TurnState` so the core can persist it in one
transaction *before* showing the user a Confirm button that refers to it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.clock import Clock
from bot.config import Settings
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
from bot.outcomes import ConfirmationRequest, Notice, Outcome, Reply, TextDelta
from bot.storage.customers import CustomerView
from bot.storage.store import NewPending
from bot.tools.registry import ToolContext, ToolRegistry, ToolResult, canonical_arguments
from bot.usage import Pricer, UsageEntry, log_usage

log = logging.getLogger("supportbot")
FAILOVER_KINDS = (ErrorKind.UNAVAILABLE, ErrorKind.TIMEOUT)
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

    def add(self, message: ChatMessage) -> None:
        self.history.append(message)
        self.new_messages.append(message)


def arguments_hash(tool_name: str, arguments: str) -> str:
    return hashlib.sha256(f"{tool_name}\n{arguments}".encode()).hexdigest()


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
        self._tools = tools
        self._pricer = pricer
        self._clock = clock
        self._tool_context = tool_context

    async def run(self, state: TurnState) -> AsyncIterator[TextDelta]:
        """Stream the reply's text; leave outcomes on ``state``."""
        providers = [self._settings.llm_provider]
        if self._settings.llm_fallback_provider:
            providers.append(self._settings.llm_fallback_provider)
        deadline = asyncio.get_running_loop().time() + self._settings.llm_timeout_s
        for _round in range(self._settings.llm_max_tool_rounds):
            round_text: list[str] = []
            completed: Completed | None = None
            while completed is None:
                try:
                    async for event in self._call(providers[0], state, deadline):
                        if isinstance(event, TextChunk):
                            round_text.append(event.text)
                            state.text.append(event.text)
                            yield TextDelta(event.text)
                        else:
                            completed = event
                except ProviderError as error:
                    if error.kind in FAILOVER_KINDS and len(providers) > 1 and not round_text:
                        log.warning("%s failed (%s); handing the turn to %s", providers[0], error.kind, providers[1])
                        providers.pop(0)
                        deadline = asyncio.get_running_loop().time() + self._settings.llm_timeout_s
                        continue
                    state.outcomes.append(provider_notice(error, providers[0]))
                    return
            text = "".join(round_text)
            if not completed.tool_calls:
                state.add(ChatMessage("assistant", text))
                state.outcomes.append(Reply("".join(state.text)))
                return
            state.add(ChatMessage("assistant", text, completed.tool_calls))
            confirmations = await self._run_tools(state, completed)
            if confirmations:
                if state.text:
                    state.outcomes.append(Reply("".join(state.text)))
                state.outcomes.extend(confirmations)
                return
        state.add(ChatMessage("assistant", ROUND_CAP_REPLY))
        state.outcomes.append(Reply(ROUND_CAP_REPLY))

    async def _call(
        self, provider_name: str, state: TurnState, deadline: float
    ) -> AsyncIterator[TextChunk | Completed]:
        """One model call under the turn's deadline; its usage is logged and kept."""
        provider = self._provider(provider_name)
        model = self._settings.model_for(provider_name, state.premium)
        request = ModelRequest(
            model=model,
            system=state.system,
            messages=tuple(state.history),
            tools=self._tools.specs,
            max_output_tokens=self._settings.llm_max_output_tokens,
            user=state.user_key,
            deadline=deadline,
        )
        started = time.perf_counter()
        stream = provider.stream(request)
        try:
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
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

    async def _run_tools(self, state: TurnState, completed: Completed) -> list[ConfirmationRequest]:
        """Answer every tool call; destructive ones become pending actions."""
        context = self._tool_context(state)
        confirmations = []
        for call in completed.tool_calls:
            parsed = self._tools.parse(call.name, call.arguments)
            result: ToolResult
            if parsed.error is not None:
                result = parsed.error
            elif context is None:
                result = {"error": "no customer account is linked to this chat user"}
            elif parsed.tool.destructive:
                result, confirmation = await self._park(state, context, call.id, parsed)
                if confirmation is not None:
                    confirmations.append(confirmation)
            else:
                result = await run_tool(parsed.tool, context, parsed.arguments)
            state.add(ChatMessage("tool", json.dumps(result), tool_call_id=call.id))
        return confirmations

    async def _park(self, state, context, call_id, parsed):  # noqa: ANN001, ANN202
        """Store a destructive call as pending (or refuse it) instead of running it."""
        prepared = await parsed.tool.prepare(context, parsed.arguments)
        if prepared.refusal is not None:
            return prepared.refusal, None
        now = self._clock.now()
        pending_id = secrets.token_urlsafe(12)
        arguments = canonical_arguments(parsed.arguments)
        expires = now + timedelta(seconds=self._settings.pending_action_ttl_s)
        state.pendings.append(
            NewPending(
                id=pending_id,
                message_index=len(state.new_messages),  # the tool message added next
                tool_call_id=call_id,
                tool_name=parsed.tool.name,
                arguments=arguments,
                arguments_hash=arguments_hash(parsed.tool.name, arguments),
                summary=prepared.summary,
                requester=state.user_key,
                requester_name=state.display_name,
                customer_id=context.customer_id,
                created_at=now,
                expires_at=expires,
            )
        )
        placeholder = {
            "status": "awaiting_user_confirmation",
            "action": prepared.summary,
            "note": "The user now sees Confirm and Cancel buttons. Nothing has been done yet; "
            "do not say it has.",
        }
        confirmation = ConfirmationRequest(
            pending_id=pending_id,
            summary=prepared.summary,
            tool_name=parsed.tool.name,
            requester_user_id=state.user_key.partition(":")[2],
            requester_name=state.display_name,
            expires_at=expires,
        )
        return placeholder, confirmation


async def run_tool(tool, context: ToolContext, arguments) -> ToolResult:  # noqa: ANN001
    """Run a tool; a failure becomes an error result for the model, never a crash."""
    try:
        return await tool.run(context, arguments)
    except Exception:
        log.exception("tool %s failed", tool.name)
        return {"error": f"{tool.name} failed; please try again later"}


def turn_notice(state: TurnState) -> Notice | None:
    """The notice a turn ended with, if it failed."""
    return next((o for o in state.outcomes if isinstance(o, Notice)), None)
