"""Usage records, the spend counters behind the caps, and the report's aggregates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, func, or_, select

from bot.clock import to_db
from bot.storage.db import Database
from bot.storage.models import SpendCounter, UsageRecord
from bot.storage.upsert import counter_upsert
from bot.usage import UsageEntry

RECORDS = UsageRecord.__table__
COUNTERS = SpendCounter.__table__
GLOBAL = "global"


def day_period(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def month_period(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


@dataclass(frozen=True, slots=True)
class Spend:
    """What the caps compare against: the user's tokens today, everyone's cost this month."""

    user_tokens_today: int
    global_cost_micros_month: int


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One group of a usage aggregate."""

    key: str
    requests: int
    tokens: int
    cost_micros: int
    unpriced_requests: int


class UsageStore:
    """Reads spend and aggregates; records are written by :func:`record_usage`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, entries: Iterable[UsageEntry]) -> None:
        """Store entries in their own transaction (used when a turn ends in an error)."""
        entries = list(entries)
        if entries:
            await self._db.write(lambda conn: record_usage(conn, entries))

    async def aggregate(
        self, group: str, since: datetime, until: datetime, user_key: str | None = None
    ) -> list[UsageRow]:
        """Requests, tokens and cost per ``group`` (``user_key``, ``model`` or ``day``)."""
        key = RECORDS.c[group]
        cost = func.coalesce(func.sum(RECORDS.c.cost_micros), 0)
        query = (
            select(
                key.label("key"),
                func.count(),
                func.coalesce(func.sum(RECORDS.c.total_tokens), 0),
                cost,
                func.count().filter(RECORDS.c.cost_micros.is_(None)),
            )
            .where(RECORDS.c.created_at >= to_db(since), RECORDS.c.created_at < to_db(until))
            .group_by(key)
            .order_by(key)
        )
        if user_key:
            query = query.where(RECORDS.c.user_key == user_key)
        rows = await self._db.read(lambda conn: conn.execute(query).all())
        return [UsageRow(str(k), int(n), int(t), int(c), int(u)) for k, n, t, c, u in rows]


SPEND_QUERY = select(COUNTERS.c.scope, COUNTERS.c.tokens, COUNTERS.c.cost_micros).where(
    or_(
        and_(COUNTERS.c.scope == bindparam("user_scope"), COUNTERS.c.period == bindparam("day")),
        and_(COUNTERS.c.scope == GLOBAL, COUNTERS.c.period == bindparam("month")),
    )
)


def read_spend(conn: Connection, user_key: str, now: datetime) -> Spend:
    """Both cap counters in one query."""
    rows = {
        scope: (tokens, cost)
        for scope, tokens, cost in conn.execute(
            SPEND_QUERY,
            {"user_scope": "user:" + user_key, "day": day_period(now), "month": month_period(now)},
        )
    }
    return Spend(
        user_tokens_today=rows.get("user:" + user_key, (0, 0))[0],
        global_cost_micros_month=rows.get(GLOBAL, (0, 0))[1],
    )


def record_usage(conn: Connection, entries: list[UsageEntry]) -> None:
    """Insert usage records and bump the spend counters inside an open transaction."""
    conn.execute(
        RECORDS.insert(),
        [
            {
                "created_at": to_db(entry.at),
                "day": day_period(entry.at),
                "user_key": entry.user_key,
                "conversation_id": entry.conversation_id,
                "provider": entry.provider,
                "model": entry.model,
                "endpoint": entry.endpoint,
                "input_tokens": entry.tokens.input_tokens,
                "output_tokens": entry.tokens.output_tokens,
                "cache_read_tokens": entry.tokens.cache_read_tokens,
                "cache_write_tokens": entry.tokens.cache_write_tokens,
                "total_tokens": entry.tokens.total_tokens,
                "cost_micros": entry.cost_micros,
                "duration_ms": entry.duration_ms,
            }
            for entry in entries
        ],
    )
    totals: dict[tuple[str, str], list[int]] = {}
    for entry in entries:
        for scope, period in (
            ("user:" + entry.user_key, day_period(entry.at)),
            (GLOBAL, month_period(entry.at)),
        ):
            bucket = totals.setdefault((scope, period), [0, 0])
            bucket[0] += entry.tokens.total_tokens
            bucket[1] += entry.cost_micros or 0
    conn.execute(
        counter_upsert(conn),
        [
            {"scope": scope, "period": period, "tokens": tokens, "cost_micros": cost}
            for (scope, period), (tokens, cost) in sorted(totals.items())
        ],
    )
