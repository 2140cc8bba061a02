"""``python -m bot discord [--sync]``: start-up, clean shutdown on SIGTERM, clear token errors."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import aiohttp
import discord

from adapters.discord.client import SupportClient
from bot.config import Settings
from bot.core import SupportBot

log = logging.getLogger("supportbot.discord")
NO_TOKEN = (
    "DISCORD_BOT_TOKEN is not set. Create a bot in the Discord Developer Portal "
    "(Applications > your app > Bot), copy its token and set DISCORD_BOT_TOKEN."
)
REJECTED = (
    "Discord rejected DISCORD_BOT_TOKEN (401 Unauthorized). Copy a fresh token from the "
    "Developer Portal (Applications > your app > Bot > Reset Token) and set DISCORD_BOT_TOKEN."
)


def run(settings: Settings, sync: bool = False) -> int:
    """Run the Discord bot until SIGTERM / Ctrl-C (or, with ``sync``, register the
    application commands and exit). Returns the process exit code."""
    return asyncio.run(serve(settings, sync))


async def serve(settings: Settings, sync: bool = False) -> int:
    """:func:`run` inside an existing event loop."""
    if not settings.discord_bot_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    bot = await SupportBot.open(settings)
    try:
        client = SupportClient(bot, sync_on_start=not sync)
        return await _register(client, settings) if sync else await _connect(client, settings)
    finally:
        await bot.close()


async def _register(client: SupportClient, settings: Settings) -> int:
    """The explicit sync step: log in over REST (no gateway), send the commands, exit."""
    async with client:
        code = await _guarded(client.login(settings.discord_bot_token), settings)
        if code is None:
            await client.sync(force=True)
            print("Registered the application commands with Discord.", file=sys.stderr)
    return code or 0


async def _connect(client: SupportClient, settings: Settings) -> int:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Long enough for a turn that started just before the stop to finish.
        loop.add_signal_handler(signum, client.request_shutdown, settings.llm_timeout_s + 5)
    try:
        async with client:
            code = await _guarded(client.start(settings.discord_bot_token), settings)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return code or 0


async def _guarded(step, settings: Settings) -> int | None:  # noqa: ANN001 (a coroutine)
    """Run a login step; a rejected token or an unreachable Discord is a clear message."""
    try:
        await step
    except discord.LoginFailure:
        print(REJECTED, file=sys.stderr)
        return 2
    except discord.ConnectionClosed as exc:
        if exc.code != 4004:  # 4004: the gateway's "authentication failed"
            raise
        print(REJECTED, file=sys.stderr)
        return 2
    except (aiohttp.ClientConnectionError, discord.HTTPException) as exc:
        api = settings.discord_api_url or "Discord"
        print(f"Could not reach {api}: {exc}", file=sys.stderr)
        return 1
    return None
