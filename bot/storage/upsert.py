"""``INSERT ... ON CONFLICT`` for the two dialects we run on (both spell it the same way).

Statements are built once per dialect and executed with parameters: building a statement
(and its cache key) cost more than running it on the hot path of a turn.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.models import ProcessedEvent, SpendCounter

COUNTERS = SpendCounter.__table__
EVENTS = ProcessedEvent.__table__


def dialect_insert(conn: Connection, table: Table):  # noqa: ANN201 (dialect-specific Insert)
    """An insert construct that offers ``on_conflict_do_update`` / ``_do_nothing``."""
    return _insert(conn.dialect.name, table)


def _insert(dialect: str, table: Table):  # noqa: ANN202
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


@cache
def _event_insert(dialect: str):  # noqa: ANN202
    return _insert(dialect, EVENTS).on_conflict_do_nothing()


def event_insert(conn: Connection):  # noqa: ANN201
    """Insert a processed event unless it is there: run with platform, event_id, created_at."""
    return _event_insert(conn.dialect.name)


@cache
def _counter_upsert(dialect: str):  # noqa: ANN202
    insert = _insert(dialect, COUNTERS)
    return insert.on_conflict_do_update(
        index_elements=[COUNTERS.c.scope, COUNTERS.c.period],
        set_={
            "tokens": COUNTERS.c.tokens + insert.excluded.tokens,
            "cost_micros": COUNTERS.c.cost_micros + insert.excluded.cost_micros,
        },
    )


def counter_upsert(conn: Connection):  # noqa: ANN201
    """Add to a spend counter: run with scope, period, tokens, cost_micros (many at once)."""
    return _counter_upsert(conn.dialect.name)
