"""The one object the core is handed for persistence, and the per-turn write."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import to_db
from bot.storage.conversations import ConversationStore, insert_messages
from bot.storage.customers import CustomerStore
from bot.storage.db import create_tables, make_engine
from bot.storage.pending import PENDING, PendingStore, write_audit
from bot.storage.usage import UsageStore, record_usage
from bot.usage import UsageEntry


@dataclass(frozen=True, slots=True)
class NewPending:
    """A destructive call to store as pending; ``message_index`` points at its placeholder."""

    id: str
    message_index: int
    tool_call_id: str
    tool_name: str
    arguments: str
    arguments_hash: str
    summary: str
    requester: str
    requester_name: str
    customer_id: str
    created_at: datetime
    expires_at: datetime


class Store:
    """Conversations, customers, pending actions and usage over one engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.conversations = ConversationStore(engine)
        self.customers = CustomerStore(engine)
        self.pending = PendingStore(engine)
        self.usage = UsageStore(engine)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect to ``url`` and create any missing table."""
        engine = make_engine(url)
        await create_tables(engine)
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def save_turn(
        self,
        conversation_id: int,
        messages: list[dict],
        pendings: list[NewPending],
        usage: list[UsageEntry],
        now: datetime,
    ) -> list[int]:
        """Everything a turn produced, in one write transaction; returns the message ids."""
        async with self.engine.begin() as conn:
            ids = await insert_messages(conn, conversation_id, messages, now)
            for pending in pendings:
                row = asdict(pending)
                row["tool_message_id"] = ids[row.pop("message_index")]
                row.update(
                    conversation_id=conversation_id,
                    status="pending",
                    created_at=to_db(pending.created_at),
                    expires_at=to_db(pending.expires_at),
                )
                await conn.execute(PENDING.insert().values(**row))
                await write_audit(conn, row, "requested", now)
            if usage:
                await record_usage(conn, usage)
        return ids
