"""Conversations, their messages and processed platform events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.clock import to_db
from bot.storage.models import Conversation, Message, ProcessedEvent
from bot.storage.upsert import dialect_insert

MESSAGES = Message.__table__
CONVERSATIONS = Conversation.__table__
EVENTS = ProcessedEvent.__table__


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message row as the core reads it."""

    id: int
    role: str
    content: str
    tool_calls: str | None
    tool_call_id: str | None


class ConversationStore:
    """Reads and writes conversations; every write is one short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def mark_event_processed(self, platform: str, event_id: str, now: datetime) -> bool:
        """Record a platform event; False when it was already recorded (a retry)."""
        async with self._engine.begin() as conn:
            insert = dialect_insert(conn, EVENTS).values(
                platform=platform, event_id=event_id, created_at=to_db(now)
            )
            result = await conn.execute(insert.on_conflict_do_nothing())
            return result.rowcount == 1

    async def conversation_id(self, key: str, platform: str, now: datetime) -> int:
        """The id of the conversation ``key``, created on first use."""
        query = select(CONVERSATIONS.c.id).where(CONVERSATIONS.c.key == key)
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).scalar()
        if found is not None:
            return found
        async with self._engine.begin() as conn:
            insert = dialect_insert(conn, CONVERSATIONS).values(
                key=key, platform=platform, created_at=to_db(now)
            )
            await conn.execute(insert.on_conflict_do_nothing())
            return (await conn.execute(query)).scalar_one()

    async def exists(self, key: str) -> bool:
        """Whether a conversation ``key`` has been started (e.g. a thread the bot is in)."""
        query = select(CONVERSATIONS.c.id).where(CONVERSATIONS.c.key == key)
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).first() is not None

    async def recent_messages(self, conversation_id: int, limit: int) -> list[StoredMessage]:
        """The newest ``limit`` messages, oldest first (an index range scan: O(limit))."""
        query = (
            select(
                MESSAGES.c.id,
                MESSAGES.c.role,
                MESSAGES.c.content,
                MESSAGES.c.tool_calls,
                MESSAGES.c.tool_call_id,
            )
            .where(MESSAGES.c.conversation_id == conversation_id)
            .order_by(MESSAGES.c.id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [StoredMessage(*row) for row in reversed(rows)]

    async def last_message_id(self, conversation_id: int) -> int | None:
        """The id of the conversation's newest message."""
        query = (
            select(MESSAGES.c.id)
            .where(MESSAGES.c.conversation_id == conversation_id)
            .order_by(MESSAGES.c.id.desc())
            .limit(1)
        )
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).scalar()

    async def replace_content(self, message_id: int, content: str) -> None:
        """Rewrite one stored message (a pending tool result once the user decided)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(MESSAGES).where(MESSAGES.c.id == message_id).values(content=content)
            )


async def insert_messages(
    conn: AsyncConnection, conversation_id: int, rows: Sequence[dict], now: datetime
) -> list[int]:
    """Insert messages in order inside an open transaction; returns their ids."""
    ids = []
    for row in rows:
        result = await conn.execute(
            MESSAGES.insert().values(conversation_id=conversation_id, created_at=to_db(now), **row)
        )
        ids.append(result.inserted_primary_key[0])
    return ids
