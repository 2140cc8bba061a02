"""Pending destructive actions and their audit trail.

Every state change is a conditional ``UPDATE ... WHERE status = 'pending'``: the database
decides who wins, so a double click, a retried event or a second bot instance cannot run
an action twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.clock import from_db, to_db
from bot.storage.models import AuditEntry, PendingAction

PENDING = PendingAction.__table__
AUDIT = AuditEntry.__table__


@dataclass(frozen=True, slots=True)
class PendingView:
    """A stored pending action as the core reads it."""

    id: str
    conversation_id: int
    tool_message_id: int
    tool_call_id: str
    tool_name: str
    arguments: str
    arguments_hash: str
    summary: str
    requester: str
    requester_name: str
    customer_id: str
    status: str
    created_at: datetime
    expires_at: datetime


class PendingStore:
    """Creates, claims and finishes pending actions; writes the audit log."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, pending_id: str) -> PendingView | None:
        """The pending action ``pending_id``, whatever its status."""
        async with self._engine.connect() as conn:
            row = (
                (await conn.execute(select(PENDING).where(PENDING.c.id == pending_id)))
                .mappings()
                .first()
            )
        if row is None:
            return None
        fields = {name: row[name] for name in PendingView.__slots__}
        fields["created_at"] = from_db(row["created_at"])
        fields["expires_at"] = from_db(row["expires_at"])
        return PendingView(**fields)

    async def claim(self, pending: PendingView, status: str, actor: str, now: datetime) -> bool:
        """Move a still-pending, unexpired action to ``status``; True for the one winner."""
        condition = [PENDING.c.id == pending.id, PENDING.c.status == "pending"]
        if status != "expired":
            condition.append(PENDING.c.expires_at > to_db(now))
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(PENDING)
                .where(*condition)
                .values(status=status, decided_by=actor, decided_at=to_db(now))
            )
            if result.rowcount != 1:
                return False
            await write_audit(conn, pending, status, now, decided_by=actor)
        return True

    async def finish(self, pending: PendingView, status: str, result: str, now: datetime) -> None:
        """Record how a confirmed action ended (``done`` or ``failed``)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(PENDING).where(PENDING.c.id == pending.id).values(status=status, result=result)
            )
            await write_audit(
                conn, pending, "executed" if status == "done" else "failed", now, result=result
            )

    async def open_for_conversation(self, conversation_id: int) -> list[str]:
        """Ids of the conversation's actions still waiting for a decision."""
        query = select(PENDING.c.id).where(
            PENDING.c.conversation_id == conversation_id, PENDING.c.status == "pending"
        )
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).scalars())

    async def audit_trail(self, pending_id: str) -> list[dict]:
        """The audit entries of one action, oldest first."""
        query = select(AUDIT).where(AUDIT.c.pending_id == pending_id).order_by(AUDIT.c.id)
        async with self._engine.connect() as conn:
            return [dict(row) for row in (await conn.execute(query)).mappings()]


async def write_audit(
    conn: AsyncConnection,
    pending: PendingView | dict,
    event: str,
    now: datetime,
    *,
    decided_by: str | None = None,
    result: str | None = None,
) -> None:
    """Append one audit entry for ``pending`` inside an open transaction."""
    get = pending.get if isinstance(pending, dict) else lambda name: getattr(pending, name)
    created = get("created_at")
    await conn.execute(
        AUDIT.insert().values(
            pending_id=get("id"),
            event=event,
            tool_name=get("tool_name"),
            arguments=get("arguments"),
            requested_by=get("requester"),
            decided_by=decided_by,
            result=result,
            requested_at=to_db(created),
            at=to_db(now),
        )
    )
