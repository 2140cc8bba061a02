"""Answering the model's tool calls: read-only tools run, destructive ones are parked.

Arguments are validated by the registry, every tool acts for the requesting customer only,
and a destructive call becomes a pending action with its exact arguments and their hash;
its placeholder result tells the model that nothing has happened yet.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.llm.types import ChatMessage, ToolCall
from bot.outcomes import ConfirmationRequest
from bot.storage.store import NewPending
from bot.tools.registry import (
    ParsedCall,
    Tool,
    ToolContext,
    ToolRegistry,
    ToolResult,
    canonical_arguments,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from bot.turn import TurnState

log = logging.getLogger("supportbot")
NO_ACCOUNT = {"error": "no customer account is linked to this chat user"}


def arguments_hash(tool_name: str, arguments: str) -> str:
    """What a confirmed action's stored arguments are checked against before it runs."""
    return hashlib.sha256(f"{tool_name}\n{arguments}".encode()).hexdigest()


async def run_tool(tool: Tool, context: ToolContext, arguments: BaseModel) -> ToolResult:
    """Run a tool; a failure becomes an error result for the model, never a crash."""
    try:
        return await tool.run(context, arguments)
    except Exception:
        log.exception("tool %s failed", tool.name)
        return {"error": f"{tool.name} failed; please try again later"}


class ToolCaller:
    """Turns one round of tool calls into tool results and confirmation requests."""

    def __init__(self, tools: ToolRegistry, clock: Clock, pending_ttl_s: int) -> None:
        self._tools = tools
        self._clock = clock
        self._ttl = timedelta(seconds=pending_ttl_s)

    async def answer(
        self, state: TurnState, context: ToolContext | None, calls: tuple[ToolCall, ...]
    ) -> list[ConfirmationRequest]:
        """Add a result for every call to ``state``; return the confirmations to ask for."""
        confirmations = []
        for call in calls:
            parsed = self._tools.parse(call.name, call.arguments)
            result: ToolResult
            if parsed.error is not None:
                result = parsed.error
            elif context is None:
                result = NO_ACCOUNT
            elif parsed.tool.destructive:
                result, confirmation = await self._park(state, context, call.id, parsed)
                if confirmation is not None:
                    confirmations.append(confirmation)
            else:
                result = await run_tool(parsed.tool, context, parsed.arguments)
            state.add(ChatMessage("tool", json.dumps(result), tool_call_id=call.id))
        return confirmations

    async def _park(
        self, state: TurnState, context: ToolContext, call_id: str, parsed: ParsedCall
    ) -> tuple[ToolResult, ConfirmationRequest | None]:
        """Store a destructive call as pending (or refuse it) instead of running it."""
        prepared = await parsed.tool.prepare(context, parsed.arguments)
        if prepared.refusal is not None:
            return prepared.refusal, None
        now = self._clock.now()
        pending_id = secrets.token_urlsafe(12)
        arguments = canonical_arguments(parsed.arguments)
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
                expires_at=now + self._ttl,
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
            expires_at=now + self._ttl,
        )
        return placeholder, confirmation
