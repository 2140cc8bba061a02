"""Pending destructive actions and their audit trail.

Every state change is a conditional ``UPDATE ... WHERE status = 'pending'``: the database
decides who wins, so a double click, a retried event or a second bot instance cannot run
an action twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from bot.clock import from_db, to_db
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Conversation, PendingAction

PENDING = PendingAction.__table__
AUDIT = AuditEntry.__table__
CONVERSATIONS = Conversation.__table__


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
    conversation_key: str


class PendingStore:
    """Reads, claims and finishes pending actions; writes the audit log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, pending_id: str) -> PendingView | None:
        """The pending action ``pending_id``, whatever its status."""
        found = await self._select(PENDING.c.id == pending_id)
        return found[0] if found else None

    async def overdue(self, now: datetime, limit: int = 200) -> list[PendingView]:
        """Actions still pending after their expiry (nobody pressed a button)."""
        return await self._select(
            PENDING.c.status == "pending", PENDING.c.expires_at <= to_db(now), limit=limit
        )

    async def stuck(self, decided_before: datetime, limit: int = 200) -> list[PendingView]:
        """Confirmed actions whose run never reported back (the process stopped mid-way)."""
        return await self._select(
            PENDING.c.status == "confirmed",
            PENDING.c.decided_at <= to_db(decided_before),
            limit=limit,
        )

    async def _select(self, *where, limit: int = 1) -> list[PendingView]:  # noqa: ANN002
        query = (
            select(PENDING, CONVERSATIONS.c.key.label("conversation_key"))
            .join(CONVERSATIONS, CONVERSATIONS.c.id == PENDING.c.conversation_id)
            .where(*where)
            .order_by(PENDING.c.created_at)
            .limit(limit)
        )
        rows = await self._db.read(lambda conn: conn.execute(query).mappings().all())
        return [_view(row) for row in rows]

    async def claim(self, pending: PendingView, status: str, actor: str, now: datetime) -> bool:
        """Move a still-pending action to ``status``; True for the one winner. Confirming
        or cancelling also requires that it has not expired."""
        condition = [PENDING.c.id == pending.id, PENDING.c.status == "pending"]
        if status != "expired":
            condition.append(PENDING.c.expires_at > to_db(now))

        def work(conn: Connection) -> bool:
            result = conn.execute(
                update(PENDING)
                .where(*condition)
                .values(status=status, decided_by=actor, decided_at=to_db(now))
            )
            if result.rowcount != 1:
                return False
            write_audit(conn, _audit_fields(pending), status, now, decided_by=actor)
            return True

        return await self._db.write(work)

    async def interrupt(self, pending: PendingView, result: str, now: datetime) -> bool:
        """Mark a stuck confirmed action as failed (unless it reported back meanwhile)."""

        def work(conn: Connection) -> bool:
            changed = conn.execute(
                update(PENDING)
                .where(PENDING.c.id == pending.id, PENDING.c.status == "confirmed")
                .values(status="failed", result=result)
            ).rowcount
            if changed:
                write_audit(conn, _audit_fields(pending), "failed", now, result=result)
            return changed == 1

        return await self._db.write(work)

    async def finish(self, pending: PendingView, status: str, result: str, now: datetime) -> None:
        """Record how a confirmed action ended (``done`` or ``failed``)."""

        def work(conn: Connection) -> None:
            conn.execute(
                update(PENDING)
                .where(PENDING.c.id == pending.id)
                .values(status=status, result=result)
            )
            event = "executed" if status == "done" else "failed"
            write_audit(conn, _audit_fields(pending), event, now, result=result)

        await self._db.write(work)

    async def audit_trail(self, pending_id: str) -> list[dict]:
        """The audit entries of one action, oldest first."""
        query = select(AUDIT).where(AUDIT.c.pending_id == pending_id).order_by(AUDIT.c.id)
        return await self._db.read(
            lambda conn: [dict(row) for row in conn.execute(query).mappings()]
        )


def _view(row) -> PendingView:  # noqa: ANN001 (a result mapping)
    fields = {name: row[name] for name in PendingView.__slots__}
    fields["created_at"] = from_db(row["created_at"])
    fields["expires_at"] = from_db(row["expires_at"])
    return PendingView(**fields)


def _audit_fields(pending: PendingView) -> dict[str, Any]:
    return {
        "id": pending.id,
        "tool_name": pending.tool_name,
        "arguments": pending.arguments,
        "requester": pending.requester,
        "created_at": pending.created_at,
    }


def write_audit(
    conn: Connection,
    pending: dict[str, Any],
    event: str,
    now: datetime,
    *,
    decided_by: str | None = None,
    result: str | None = None,
) -> None:
    """Append one audit entry inside an open transaction (``pending``: id, tool_name,
    arguments, requester, created_at)."""
    conn.execute(
        AUDIT.insert().values(
            pending_id=pending["id"],
            event=event,
            tool_name=pending["tool_name"],
            arguments=pending["arguments"],
            requested_by=pending["requester"],
            decided_by=decided_by,
            result=result,
            requested_at=to_db(pending["created_at"]),
            at=to_db(now),
        )
    )
