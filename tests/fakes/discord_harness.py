"""Runs a real :class:`SupportClient` against a :class:`FakeDiscord` (tests, benchmark)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from adapters.discord import SupportClient
from bot.core import SupportBot

from fakes.discord_server import FakeDiscord


def discord_settings(fake: FakeDiscord) -> dict[str, object]:
    """Settings overrides that point the bot at ``fake``."""
    return {
        "discord_bot_token": fake.token,
        "discord_api_url": fake.api_url,
        "discord_gateway_url": fake.gateway_url,
    }


async def _run(client: SupportClient, token: str) -> None:
    async with client:
        await client.start(token)


@contextlib.asynccontextmanager
async def connected(
    fake: FakeDiscord, bot: SupportBot, **client_options: object
) -> AsyncIterator[SupportClient]:
    """A client logged in and connected to ``fake``; closed (after its work) on exit."""
    client = SupportClient(bot, **client_options)
    running = asyncio.create_task(_run(client, fake.token))
    ready = asyncio.create_task(fake.wait_connected())
    await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
    if running.done():
        ready.cancel()
        running.result()  # raises what stopped the client
        raise AssertionError("the client stopped before it connected")
    ready.result()
    try:
        yield client
    finally:
        await client.wait_idle(5.0)
        await client.close()
        await running
