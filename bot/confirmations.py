"""Resolving a pending destructive action: only its requester, only once, only in time.

The claim is an atomic state change in the database, so a double click, a platform retry
or a second bot instance cannot run an action twice. The decision is written where the
model will see it, and the model then writes the final answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from types import MappingProxyType

from bot.clock import Clock
from bot.inbound import Actor
from bot.llm.types import ChatMessage
from bot.locks import ConversationLocks
from bot.outcomes import Event, Notice, NoticeKind, Resolution
from bot.storage.pending import PendingView
from bot.storage.store import Store
from bot.tool_calls import arguments_hash, run_tool
from bot.tools.registry import ToolContext, ToolRegistry

NOT_PENDING = "This request is no longer pending, so nothing was changed."
EXPIRED_TEXT = (
    "This request expired before it was confirmed, so nothing was done. "
    "Ask me again if you still want it."
)
SYSTEM = "system"
STUCK_AFTER = timedelta(minutes=5)  # far longer than any tool takes
INTERRUPTED = MappingProxyType(
    {
        "status": "interrupted",
        "error": "the bot stopped while this action was running; it may or may not have "
        "happened, so check before trying again",
    }
)
DECLINED = MappingProxyType(
    {"status": "declined", "note": "The user pressed Cancel. Nothing was done."}
)
EXPIRED = MappingProxyType(
    {"status": "expired", "note": "The confirmation window passed; nothing was done."}
)

FollowUp = Callable[[PendingView, Actor, ChatMessage | None], AsyncIterator[Event]]


class Confirmations:
    """Decides pending actions and hands the conversation back to the model."""

    def __init__(
        self,
        store: Store,
        tools: ToolRegistry,
        clock: Clock,
        locks: ConversationLocks,
        follow_up: FollowUp,
    ) -> None:
        self._store = store
        self._tools = tools
        self._clock = clock
        self._locks = locks
        self._follow_up = follow_up

    async def resolve(self, pending_id: str, actor: Actor, confirm: bool) -> AsyncIterator[Event]:
        """Events for one click: a refusal, or the resolution then the model's answer."""
        pending = await self._store.pending.get(pending_id)
        if pending is not None and pending.status == "expired":
            yield Resolution(pending.id, "expired", _name(actor), pending.summary, "")
            yield Notice(NoticeKind.EXPIRED, EXPIRED_TEXT, private=True)
            return
        if pending is None or pending.status != "pending":
            yield Notice(NoticeKind.NOT_PENDING, NOT_PENDING, private=True)
            return
        if actor.user_key != pending.requester:
            who = pending.requester_name or "the person who asked"
            text = f"Only {who} can confirm or cancel this request."
            yield Notice(NoticeKind.WRONG_USER, text, private=True)
            return
        now = self._clock.now()
        if now >= pending.expires_at:
            if not await self._store.pending.claim(pending, "expired", actor.user_key, now):
                yield Notice(NoticeKind.NOT_PENDING, NOT_PENDING, private=True)
                return  # decided (or expired) by someone else just before
            await self._settle(pending, dict(EXPIRED))
            yield Resolution(pending.id, "expired", _name(actor), pending.summary, "")
            yield Notice(NoticeKind.EXPIRED, EXPIRED_TEXT)
            return
        status = "confirmed" if confirm else "cancelled"
        if not await self._store.pending.claim(pending, status, actor.user_key, now):
            yield Notice(NoticeKind.NOT_PENDING, NOT_PENDING, private=True)
            return
        async with self._locks.hold(pending.conversation_key):
            result = await self._execute(pending) if confirm else dict(DECLINED)
            note = await self._settle(pending, result)
            yield Resolution(
                pending.id, status, _name(actor), pending.summary, result_summary(result)
            )
            async for event in self._follow_up(pending, actor, note):
                yield event

    async def sweep(self, now: datetime) -> int:
        """Settle what no click will: expired actions nobody pressed (so the model learns
        they lapsed) and confirmed ones whose run was cut off by a stop. Returns how many."""
        settled = 0
        for pending in await self._store.pending.overdue(now):
            if await self._store.pending.claim(pending, "expired", SYSTEM, now):
                await self._settle(pending, dict(EXPIRED))
                settled += 1
        for pending in await self._store.pending.stuck(now - STUCK_AFTER):
            result = dict(INTERRUPTED)
            if await self._store.pending.interrupt(pending, json.dumps(result), now):
                await self._settle(pending, result)
                settled += 1
        return settled

    async def _execute(self, pending: PendingView) -> dict:
        """Run the confirmed call with exactly the stored arguments."""
        if arguments_hash(pending.tool_name, pending.arguments) != pending.arguments_hash:
            result = {"error": "the stored action did not match its checksum; nothing was done"}
        else:
            parsed = self._tools.parse(pending.tool_name, pending.arguments)
            if parsed.error is not None:
                result = parsed.error
            else:
                context = ToolContext(
                    pending.customer_id,
                    pending.requester,
                    pending.conversation_id,
                    self._store.db,
                    self._clock,
                )
                result = await run_tool(parsed.tool, context, parsed.arguments)
        status = "failed" if "error" in result else "done"
        await self._store.pending.finish(pending, status, json.dumps(result), self._clock.now())
        return result

    async def _settle(self, pending: PendingView, result: dict) -> ChatMessage | None:
        """Put the decision where the model sees it: in the placeholder tool result, plus a
        note at the end when the conversation moved on meanwhile."""
        if await self._store.conversations.settle_tool_result(
            pending.tool_message_id, pending.conversation_id, pending.requester, json.dumps(result)
        ):
            return None
        return ChatMessage(
            "user",
            f'[Automatic notice, not typed by the user] The earlier request "{pending.summary}" '
            f"was decided. Result: {json.dumps(result)}",
        )


def _name(actor: Actor) -> str:
    return actor.display_name or actor.user_id


def result_summary(result: dict) -> str:
    """A one-line description of a tool result for the button message."""
    if "error" in result:
        return f"Failed: {result['error']}"
    if result.get("status") == "declined":
        return "Cancelled; nothing was done."
    return "Done."
