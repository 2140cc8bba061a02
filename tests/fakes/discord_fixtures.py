"""The ``fake_discord`` fixture, as a pytest plugin:
``pytest_plugins = ("fakes.discord_fixtures",)`` in a test module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes.discord_server import FakeDiscord


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake Discord (REST API and gateway on 127.0.0.1)."""
    async with FakeDiscord() as fake:
        yield fake
