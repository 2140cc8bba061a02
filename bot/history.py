"""The history the model sees: stored messages, trimmed to the character budget.

Messages are grouped into units that must stay together: an assistant message that calls
tools and the tool results that answer it. Units leave from the oldest end until the rest
fits, and the history always starts at a user message, as both providers require.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.llm.types import ChatMessage, ToolCall
from bot.storage.conversations import StoredMessage

HISTORY_CHAR_BUDGET = 50_000
# Rows read per turn: enough to fill the budget in any realistic conversation, and a bound
# that keeps the cost of a turn independent of how long the stored history has grown.
HISTORY_ROW_LIMIT = 200


def to_chat_message(row: StoredMessage) -> ChatMessage:
    calls = tuple(ToolCall(**call) for call in json.loads(row.tool_calls)) if row.tool_calls else ()
    return ChatMessage(row.role, row.content, calls, row.tool_call_id)


def to_row(message: ChatMessage, user_key: str) -> dict:
    """The stored form of a message of ``user_key``'s turn."""
    calls = (
        json.dumps(
            [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls]
        )
        if message.tool_calls
        else None
    )
    return {
        "role": message.role,
        "content": message.content,
        "tool_calls": calls,
        "tool_call_id": message.tool_call_id,
        "user_key": user_key,
    }


def _units(messages: Sequence[ChatMessage]) -> list[list[ChatMessage]]:
    """Group messages; a tool result joins the unit of the call it answers even when it was
    stored later (concurrent writers), and a result whose call is unknown is dropped: both
    providers reject a tool result that does not follow its call."""
    units: list[list[ChatMessage]] = []
    unit_of_call: dict[str, list[ChatMessage]] = {}
    for message in messages:
        if message.role == "tool":
            owner = unit_of_call.get(message.tool_call_id or "")
            if owner is not None:
                owner.append(message)
            continue
        unit = [message]
        units.append(unit)
        for call in message.tool_calls:
            unit_of_call[call.id] = unit
    return units


def trim_history(
    messages: Sequence[ChatMessage], budget: int = HISTORY_CHAR_BUDGET
) -> list[ChatMessage]:
    """The newest messages that fit ``budget`` characters, without splitting a tool unit."""
    kept: list[list[ChatMessage]] = []
    used = 0
    for unit in reversed(_units(messages)):
        size = sum(message.size() for message in unit)
        if used + size > budget:
            break
        kept.append(unit)
        used += size
    kept.reverse()
    while kept and kept[0][0].role != "user":
        kept.pop(0)
    return [message for unit in kept for message in unit if _is_answered(unit, message)]


def _is_answered(unit: list[ChatMessage], message: ChatMessage) -> bool:
    """Keep a unit's messages only when every tool call in it has its result."""
    head = unit[0]
    if not head.tool_calls:
        return True
    answered = {m.tool_call_id for m in unit[1:]}
    return all(call.id in answered for call in head.tool_calls)
