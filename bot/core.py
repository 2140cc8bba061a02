"""The support bot's core: one turn per inbound message, and button resolutions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.confirmations import Confirmations
from bot.history import (
    HISTORY_CHAR_BUDGET,
    HISTORY_ROW_LIMIT,
    to_chat_message,
    to_row,
    trim_history,
)
from bot.inbound import Actor, InboundMessage
from bot.limits import UserRateLimiter, check_spend
from bot.llm.factory import import_provider_module, make_provider
from bot.llm.types import ChatMessage, Provider
from bot.locks import ConversationLocks, LocalLocks
from bot.notices import help_notice
from bot.outcomes import Event, Notice, NoticeKind, Outcome, TextDelta
from bot.prompt import Company, build_system_prompt
from bot.report import UsageReport, build_report, parse_usage_args
from bot.storage.customers import CustomerView
from bot.storage.pending import PendingView
from bot.storage.store import Store
from bot.storage.usage import Spend
from bot.tools.acme import acme_tools
from bot.tools.registry import ToolContext, ToolRegistry
from bot.turn import TurnRunner, TurnState
from bot.usage import Pricer, TokenUsage
from bot.validation import validate_message

log = logging.getLogger("supportbot")
EVENT_ID_RETENTION = timedelta(days=3)


class SupportBot:
    """Handles inbound messages and confirmations; adapters render what it yields."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        providers: dict[str, Provider] | None = None,
        tools: ToolRegistry | None = None,
        clock: Clock | None = None,
        locks: ConversationLocks | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock or SystemClock()
        self.company = Company.load(settings.company_file)
        self.tools = tools or acme_tools()
        self.limiter = UserRateLimiter(
            settings.rate_limit_per_minute, settings.premium_rate_limit_per_minute
        )
        self._locks = locks or LocalLocks()
        self._providers: dict[str, Provider] = dict(providers or {})
        self._housekept_at: datetime | None = None
        self._confirmations = Confirmations(
            self.store, self.tools, self.clock, self._locks, self._follow_up
        )
        self._pricer = Pricer(settings.llm_price_overrides)
        self._runner = TurnRunner(
            settings,
            self.provider,
            self.tools,
            self._pricer,
            self.clock,
            self._tool_context,
        )

    @classmethod
    async def open(cls, settings: Settings, **kwargs) -> SupportBot:  # noqa: ANN003
        """Connect to the configured database (creating tables), import the configured
        providers' SDKs off the event loop, and build the bot."""
        bot = cls(settings, await Store.open(settings.database_url), **kwargs)
        for name in filter(None, (settings.llm_provider, settings.llm_fallback_provider)):
            if name not in bot._providers:
                await asyncio.to_thread(import_provider_module, name)
                bot.provider(name)
            for premium in (False, True):
                model = settings.model_for(name, premium)
                if bot._pricer.cost_micros(name, model, TokenUsage(1, 1)) is None:
                    log.warning(
                        "no price is known for %s model %s: its usage is reported as 'unknown "
                        "price' and the monthly cost cap cannot count it; set "
                        "LLM_PRICE_OVERRIDES=%s=<input>/<output> (USD per 1M tokens)",
                        name,
                        model,
                        model,
                    )
        return bot

    async def close(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
        await self.store.close()

    def provider(self, name: str) -> Provider:
        """The provider ``name``, built on first use (one SDK client for the process)."""
        if name not in self._providers:
            self._providers[name] = make_provider(name, self.settings)
        return self._providers[name]

    # ---- inbound messages -------------------------------------------------------------

    async def handle(self, message: InboundMessage) -> AsyncIterator[Event]:
        """Answer one message: text deltas as they are written, then the outcomes.

        The conversation's lock is taken before anything else, so two messages in one
        conversation are handled one after the other, in their order of arrival."""
        async with self._locks.hold(message.conversation_key):
            async for event in self._handle_in_order(message):
                yield event

    async def _handle_in_order(self, message: InboundMessage) -> AsyncIterator[Event]:
        now = self.clock.now()
        fresh, customer, spend = await self.store.begin_turn(
            message.platform, message.event_id, message.user_key, now
        )
        if not fresh:
            log.info("dropping duplicate %s event %s", message.platform, message.event_id)
            return
        verdict = validate_message(message.text)
        if not verdict.allowed:
            yield (
                help_notice(self.company.name)
                if verdict.help
                else Notice(NoticeKind.INVALID, verdict.reason)
            )
            return
        await self._housekeeping(now)
        if customer is None and self.settings.demo_data:
            customer = await self.store.customers.create(
                message.user_key, message.display_name or "Demo customer", now, demo_orders=True
            )
        premium = self._is_premium(customer)
        refusal = await self._limits(message.user_key, premium, spend)
        if refusal is not None:
            yield refusal
            return
        conversation_id = await self.store.conversations.conversation_id(
            message.conversation_key, message.platform, now
        )
        state = await self._new_turn(
            conversation_id,
            message.user_key,
            message.display_name,
            customer,
            premium,
            f"{message.platform}.message",
            ChatMessage("user", verdict.text),
        )
        async for event in self._run(state):
            yield event

    async def takes_part_in(self, message: InboundMessage) -> bool:
        """Whether the bot already has a conversation where ``message`` was posted (a thread
        it answered in), so a follow-up there needs no new mention."""
        return await self.store.conversations.exists(message.conversation_key)

    async def respond(self, message: InboundMessage) -> list[Outcome]:
        """:meth:`handle` without the text deltas, for adapters that do not stream."""
        return [event async for event in self.handle(message) if not isinstance(event, TextDelta)]

    # ---- confirmations ----------------------------------------------------------------

    def resolve(self, pending_id: str, actor: Actor, confirm: bool) -> AsyncIterator[Event]:
        """Confirm or cancel a pending action: only its requester, only once, only in time."""
        return self._confirmations.resolve(pending_id, actor, confirm)

    async def _follow_up(
        self, pending: PendingView, actor: Actor, note: ChatMessage | None
    ) -> AsyncIterator[Event]:
        """The model's answer once the requester decided (called under the conversation lock)."""
        customer = await self.store.customers.for_user(pending.requester)
        premium = self._is_premium(customer)
        state = await self._new_turn(
            pending.conversation_id,
            pending.requester,
            pending.requester_name,
            customer,
            premium,
            f"{actor.platform}.confirmation",
            note,
        )
        async for event in self._run(state):
            yield event

    # ---- /usage -----------------------------------------------------------------------

    async def usage_report(
        self, actor: Actor, args: str = "", user_id: str | None = None
    ) -> UsageReport | Notice:
        """The usage report for an admin (``BOT_ADMINS`` or a platform admin)."""
        if not (actor.is_platform_admin or self.settings.is_admin(actor.platform, actor.user_id)):
            return Notice(NoticeKind.FORBIDDEN, "Sorry, only admins can see usage.", private=True)
        query = parse_usage_args(args, self.clock.now(), actor.platform, user_id)
        if isinstance(query, str):
            return Notice(NoticeKind.INVALID, query, private=True)
        return await build_report(self.store.usage, query)

    # ---- steps ------------------------------------------------------------------------

    def _is_premium(self, customer: CustomerView | None) -> bool:
        """Premium plans get the premium model and the stricter rate limit."""
        return customer is not None and customer.plan in self.settings.premium_plans

    async def _housekeeping(self, now: datetime) -> None:
        """Once an hour (and at the first message): drop event ids far older than any
        platform retry, and settle lapsed or interrupted pending actions."""
        if self._housekept_at is None or now - self._housekept_at > timedelta(hours=1):
            self._housekept_at = now
            await self.store.conversations.forget_events_before(now - EVENT_ID_RETENTION)
            await self._confirmations.sweep(now)

    async def _limits(self, user_key: str, premium: bool, spend: Spend) -> Notice | None:
        rate = await self.limiter.check(user_key, premium)
        if not rate.allowed:
            return Notice(NoticeKind.RATE_LIMITED, rate.reason, retry_after_s=rate.retry_after_s)
        budget = check_spend(
            spend, self.settings.daily_token_cap_per_user, self.settings.monthly_cost_cap_usd
        )
        if not budget.allowed:
            return Notice(NoticeKind.OVER_BUDGET, budget.reason)
        return None

    async def _new_turn(
        self,
        conversation_id: int,
        user_key: str,
        display_name: str,
        customer: CustomerView | None,
        premium: bool,
        endpoint: str,
        incoming: ChatMessage | None,
    ) -> TurnState:
        """Load the trimmed history, leaving room in the budget for ``incoming``."""
        rows = await self.store.conversations.recent_messages(
            conversation_id, user_key, HISTORY_ROW_LIMIT
        )
        budget = HISTORY_CHAR_BUDGET - (incoming.size() if incoming else 0)
        history = trim_history([to_chat_message(row) for row in rows], budget)
        system = build_system_prompt(self.company, customer, display_name, self.clock.now().date())
        state = TurnState(
            conversation_id=conversation_id,
            user_key=user_key,
            display_name=display_name,
            customer=customer,
            premium=premium,
            system=system,
            history=history,
            endpoint=endpoint,
        )
        if incoming is not None:
            state.add(incoming)
        return state

    def _tool_context(self, state: TurnState) -> ToolContext | None:
        if state.customer is None:
            return None
        return ToolContext(
            state.customer.id, state.user_key, state.conversation_id, self.store.db, self.clock
        )

    async def _run(self, state: TurnState) -> AsyncIterator[Event]:
        """Stream the model loop, persist what it produced, then yield the outcomes."""
        async for delta in self._runner.run(state):
            yield delta
        failed = any(isinstance(outcome, Notice) for outcome in state.outcomes)
        if failed:
            # The user is told to try again; keep the history as it was, but never lose
            # what the calls that did answer cost.
            await self.store.usage.record(state.usage)
        else:
            await self.store.save_turn(
                state.conversation_id,
                [to_row(m, state.user_key) for m in state.new_messages],
                state.pendings,
                state.usage,
                self.clock.now(),
            )
        for outcome in state.outcomes:
            yield outcome
