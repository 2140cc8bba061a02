"""``python -m bot slack``: HTTP on ``PORT`` (``POST /slack/events``, ``GET /healthz``), or
Socket Mode when ``SLACK_APP_TOKEN`` is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import aiohttp

from bot.config import Settings
from bot.core import SupportBot

from .app import SlackApp, make_client
from .intake import EVENTS_PATH

log = logging.getLogger("supportbot.slack")


def missing_settings(settings: Settings) -> str | None:
    """What to set before the Slack app can start."""
    if not settings.slack_bot_token:
        return "SLACK_BOT_TOKEN is not set (the xoxb- token from OAuth & Permissions)."
    if not settings.slack_app_token and not settings.slack_signing_secret:
        return (
            "SLACK_SIGNING_SECRET is not set (Basic Information > App Credentials). "
            "Or set SLACK_APP_TOKEN (xapp-...) to use Socket Mode."
        )
    return None


async def serve(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then finish the answers in progress and close."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    bot = await SupportBot.open(settings)
    session = aiohttp.ClientSession()
    try:
        slack = SlackApp(bot, make_client(settings, session))
        port = await slack.start("0.0.0.0", settings.port)
        if settings.slack_app_token:
            log.info("connected over Socket Mode; health check on port %s", port)
        else:
            log.info("listening on port %s (POST %s, GET /healthz)", port, EVENTS_PATH)
        await stop.wait()
        log.info("shutting down: finishing answers in progress")
        # Long enough for a turn that started just before the stop to finish.
        await slack.stop(settings.llm_timeout_s + 5)
    finally:
        await session.close()
        await bot.close()


def run(settings: Settings) -> int:
    """Check the settings, then serve until stopped; the process exit code."""
    problem = missing_settings(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings))
    return 0
