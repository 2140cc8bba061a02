"""Conversations, their messages and processed platform events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Integer, bindparam, delete, select, update

from bot.clock import to_db
from bot.storage.db import Database
from bot.storage.models import Conversation, Message, ProcessedEvent
from bot.storage.upsert import dialect_insert, event_insert

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

    def __init__(self, db: Database) -> None:
        self._db = db
        # key -> id never changes once created, so every instance may remember it.
        self._ids: dict[str, int] = {}

    async def forget_events_before(self, moment: datetime) -> int:
        """Drop processed-event ids older than ``moment`` (platforms retry within minutes)."""
        statement = delete(EVENTS).where(EVENTS.c.created_at < to_db(moment))
        return await self._db.write(lambda conn: conn.execute(statement).rowcount)

    async def exists(self, key: str) -> bool:
        """Whether a conversation ``key`` has been started (e.g. a thread the bot is in)."""
        if key in self._ids:
            return True
        return await self._db.read(lambda conn: _find(conn, key)) is not None

    async def conversation_id(self, key: str, platform: str, now: datetime) -> int:
        """The id of the conversation ``key``, created on first use."""
        if key in self._ids:
            return self._ids[key]
        found = await self._db.read(lambda conn: _find(conn, key))
        if found is None:

            def create(conn: Connection) -> int:
                insert = dialect_insert(conn, CONVERSATIONS).values(
                    key=key, platform=platform, created_at=to_db(now)
                )
                conn.execute(insert.on_conflict_do_nothing())  # a concurrent creator may win
                return _find(conn, key)

            found = await self._db.write(create)
        if len(self._ids) > 100_000:
            self._ids.clear()
        self._ids[key] = found
        return found

    async def recent_messages(
        self, conversation_id: int, user_key: str, limit: int
    ) -> list[StoredMessage]:
        """The newest ``limit`` messages of ``user_key``'s turns, oldest first (an index
        range scan: O(limit) however long the conversation is)."""
        values = {"conversation_id": conversation_id, "user_key": user_key, "limit": limit}
        rows = await self._db.read(lambda conn: conn.execute(RECENT_QUERY, values).all())
        return [StoredMessage(*row) for row in reversed(rows)]

    async def settle_tool_result(
        self, message_id: int, conversation_id: int, user_key: str, content: str
    ) -> bool:
        """Rewrite a pending tool result with the decision; True when it is still the newest
        message of ``user_key``'s history (they said nothing since)."""

        def work(conn: Connection) -> bool:
            conn.execute(
                update(MESSAGES).where(MESSAGES.c.id == message_id).values(content=content)
            )
            newest = conn.execute(
                select(MESSAGES.c.id)
                .where(
                    MESSAGES.c.conversation_id == conversation_id, MESSAGES.c.user_key == user_key
                )
                .order_by(MESSAGES.c.id.desc())
                .limit(1)
            ).scalar()
            return newest == message_id

        return await self._db.write(work)


RECENT_QUERY = (
    select(
        MESSAGES.c.id,
        MESSAGES.c.role,
        MESSAGES.c.content,
        MESSAGES.c.tool_calls,
        MESSAGES.c.tool_call_id,
    )
    .where(
        MESSAGES.c.conversation_id == bindparam("conversation_id"),
        MESSAGES.c.user_key == bindparam("user_key"),
    )
    .order_by(MESSAGES.c.id.desc())
    .limit(bindparam("limit", type_=Integer))
)


def record_event(conn: Connection, platform: str, event_id: str, now: datetime) -> bool:
    """Record a platform event; False when it was already recorded (a retry)."""
    values = {"platform": platform, "event_id": event_id, "created_at": to_db(now)}
    return conn.execute(event_insert(conn), values).rowcount == 1


def _find(conn: Connection, key: str) -> int | None:
    return conn.execute(select(CONVERSATIONS.c.id).where(CONVERSATIONS.c.key == key)).scalar()


def insert_messages(
    conn: Connection, conversation_id: int, rows: Sequence[dict], now: datetime, *, ids: bool
) -> list[int]:
    """Insert messages in order inside an open transaction; their ids only when asked."""
    if not rows:
        return []
    stamped = [
        {"conversation_id": conversation_id, "created_at": to_db(now), **row} for row in rows
    ]
    if not ids:
        conn.execute(MESSAGES.insert(), stamped)
        return []
    return [
        conn.execute(MESSAGES.insert().values(**row)).inserted_primary_key[0] for row in stamped
    ]
