"""Shared fixtures: the fake model server, real SQLite and PostgreSQL, a bot factory."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.core import SupportBot
from bot.storage.store import Store

from fake_llm import FakeLLM

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL test database with fresh tables (skips, saying why, when it is down)."""
    if not _postgres_reachable():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (.ci/run starts it)")

    async def reset() -> None:
        engine = create_async_engine(POSTGRES_URL)
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.drop_all)
            await conn.run_sync(SQLModel.metadata.create_all)
        await engine.dispose()

    asyncio.run(reset())
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # noqa: ANN001
    """A clean database: a new SQLite file, or the emptied PostgreSQL test database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    url = request.getfixturevalue("postgres_url")

    async def truncate() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
        await engine.dispose()

    asyncio.run(truncate())
    return url


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # noqa: ANN001
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as fake:
        yield fake


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def bot_settings(fake: FakeLLM, database_url: str, **overrides: object) -> Settings:
    """Settings that point both SDKs at the fake and the bot at ``database_url``."""
    values: dict[str, object] = {
        "database_url": database_url,
        "openai_base_url": fake.openai_url,
        "openai_api_key": "sk-test",
        "anthropic_base_url": fake.anthropic_url,
        "anthropic_api_key": "sk-ant-test",
        "llm_max_retries": 0,
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)


BotFactory = Callable[..., Awaitable[SupportBot]]


@pytest.fixture
async def make_bot(fake_llm: FakeLLM, clock: ManualClock) -> AsyncIterator[BotFactory]:
    """Build bots over a database URL; all are closed at the end of the test."""
    bots: list[SupportBot] = []

    async def build(database_url: str, **overrides: object) -> SupportBot:
        settings = bot_settings(fake_llm, database_url, **overrides)
        bot = SupportBot(settings, await Store.open(settings.database_url), clock=clock)
        bots.append(bot)
        return bot

    yield build
    for bot in bots:
        await bot.close()


@pytest.fixture(autouse=True, scope="session")
def _clean_environment() -> None:
    """Tests never read a developer's real keys or settings."""
    prefixes = ("LLM_", "OPENAI_", "ANTHROPIC_", "SLACK_", "DISCORD_", "BOT_")
    for name in list(os.environ):
        if name.startswith(prefixes) or name in ("DATABASE_URL", "PORT"):
            del os.environ[name]
