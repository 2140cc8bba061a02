"""The one object the core is handed for persistence, and the per-turn write."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import to_db
from bot.storage.conversations import ConversationStore, insert_messages, record_event
from bot.storage.customers import CustomerStore, CustomerView, customer_for_user
from bot.storage.db import Database
from bot.storage.pending import PENDING, PendingStore, write_audit
from bot.storage.usage import Spend, UsageStore, read_spend, record_usage
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
    """Conversations, customers, pending actions and usage over one :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conversations = ConversationStore(db)
        self.customers = CustomerStore(db)
        self.pending = PendingStore(db)
        self.usage = UsageStore(db)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect to ``url`` and create any missing table."""
        db = Database(url)
        await db.create_tables()
        return cls(db)

    @property
    def engine(self) -> AsyncEngine:
        """An async engine on the same database for ad-hoc queries (scripts, tests)."""
        return self.db.async_engine()

    async def close(self) -> None:
        await self.db.dispose()

    async def begin_turn(
        self, platform: str, event_id: str, user_key: str, now: datetime
    ) -> tuple[bool, CustomerView | None, Spend]:
        """Record the event (False for a retry already seen), and read the customer and
        their spend: what every turn starts with, in one unit of work."""

        def work(conn: Connection) -> tuple[bool, CustomerView | None, Spend]:
            if event_id and not record_event(conn, platform, event_id, now):
                return False, None, Spend(0, 0)
            return True, customer_for_user(conn, user_key), read_spend(conn, user_key, now)

        return await (self.db.write(work) if event_id else self.db.read(work))

    async def save_turn(
        self,
        conversation_id: int,
        messages: list[dict],
        pendings: list[NewPending],
        usage: list[UsageEntry],
        now: datetime,
    ) -> None:
        """Everything a turn produced, in one write transaction."""

        def work(conn: Connection) -> None:
            ids = insert_messages(conn, conversation_id, messages, now, ids=bool(pendings))
            for pending in pendings:
                row = asdict(pending)
                row["tool_message_id"] = ids[row.pop("message_index")]
                row.update(
                    conversation_id=conversation_id,
                    status="pending",
                    created_at=to_db(pending.created_at),
                    expires_at=to_db(pending.expires_at),
                )
                conn.execute(PENDING.insert().values(**row))
                write_audit(conn, row, "requested", now)
            if usage:
                record_usage(conn, usage)

        await self.db.write(work)
