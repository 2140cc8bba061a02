"""Where units of work run: SQLite (the embedded default) or PostgreSQL, same SQL.

Every store operation is a small synchronous function over a SQLAlchemy ``Connection``
(a *unit of work*: a few statements), and :class:`Database` runs it:

- PostgreSQL: on the async engine (asyncpg) through ``AsyncConnection.run_sync``.
- SQLite: in worker threads over the ``sqlite3`` driver, one thread hop per unit instead of
  several per statement (what aiosqlite does under SQLAlchemy), and with all writes on one
  thread, so writers queue in order instead of sleeping in SQLite's busy handler. This is
  aiosqlite's own model (sqlite3 in a thread), applied at the granularity of a unit of work.

``DATABASE_URL`` keeps the usual async spelling (``sqlite+aiosqlite:///...``,
``postgresql+asyncpg://...``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel

from bot.storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)

T = TypeVar("T")
Work = Callable[[Connection], T]


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 (DB-API objects)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")  # another *process* on the same file
    cursor.close()


def sync_sqlite_url(url: str) -> str:
    """``sqlite+aiosqlite:///x.db`` -> ``sqlite+pysqlite:///x.db``."""
    scheme, _, rest = url.partition("://")
    return f"sqlite+pysqlite://{rest}" if scheme.startswith("sqlite") else url


class Database:
    """Runs read and write units of work on SQLite or PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._async: AsyncEngine | None = None
        self._sync: Engine | None = None
        if self.is_sqlite:
            memory = ":memory:" in url or url.rstrip("/").endswith("sqlite:")
            self._sync = create_engine(
                sync_sqlite_url(url),
                poolclass=StaticPool if memory else None,
                connect_args={"check_same_thread": False},
            )
            event.listen(self._sync, "connect", _sqlite_pragmas)
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
            # An in-memory database is one connection: give it one thread for everything.
            self._reader = self._writer if memory else ThreadPoolExecutor(2, "sqlite-reader")
        else:
            self._async = create_async_engine(url, pool_pre_ping=True)

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` on a connection (no transaction is committed)."""
        if self._sync is not None:
            return await asyncio.get_running_loop().run_in_executor(
                self._reader, self._run, work, False
            )
        async with self._async.connect() as conn:
            return await conn.run_sync(work)

    async def write(self, work: Work[T]) -> T:
        """Run ``work`` in one transaction, committed when it returns."""
        if self._sync is not None:
            return await asyncio.get_running_loop().run_in_executor(
                self._writer, self._run, work, True
            )
        async with self._async.begin() as conn:
            return await conn.run_sync(work)

    def _run(self, work: Work[T], transactional: bool) -> T:
        if transactional:
            with self._sync.begin() as conn:
                return work(conn)
        with self._sync.connect() as conn:
            return work(conn)

    async def create_tables(self) -> None:
        """Create any missing table (start-up; idempotent)."""
        await self.write(lambda conn: SQLModel.metadata.create_all(conn))

    def async_engine(self) -> AsyncEngine:
        """An async engine on the same database, for ad-hoc queries (scripts, tests)."""
        if self._async is None:
            self._async = create_async_engine(self.url)
        return self._async

    async def dispose(self) -> None:
        if self._async is not None:
            await self._async.dispose()
        if self._sync is not None:
            self._writer.shutdown(wait=True)
            self._reader.shutdown(wait=True)
            self._sync.dispose()
