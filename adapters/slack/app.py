"""The Bolt app: its listeners, the Web API client, and the adapter's lifetime."""

from __future__ import annotations

import logging

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.core import SupportBot

from .handlers import Background, Handlers
from .intake import Intake
from .render import CANCEL_ACTION, CONFIRM_ACTION

log = logging.getLogger("supportbot.slack")


def make_client(settings: Settings, session: aiohttp.ClientSession) -> AsyncWebClient:
    """The Web API client at ``SLACK_API_URL``, retrying Slack's 429s (``Retry-After``).

    One shared aiohttp session: without it slack_sdk opens a new connection per call.
    """
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def build_bolt(handlers: Handlers, client: AsyncWebClient, signing_secret: str) -> AsyncApp:
    """Bolt's ``AsyncApp`` with our listeners; Bolt verifies every request's signature.

    ``process_before_response`` runs each listener inline, and a listener only acks and
    hands the work on, so the 200 goes out as soon as the listener returns (in Bolt's
    other mode, interactivity and commands poll for the ack every 10 ms).
    """
    bolt = AsyncApp(
        name="supportbot",
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        logger=logging.getLogger("supportbot.slack.bolt"),
    )
    bolt.event("app_mention")(handlers.on_event)
    bolt.event("message")(handlers.on_event)
    bolt.event("assistant_thread_started")(handlers.on_thread_started)
    bolt.action(CONFIRM_ACTION)(handlers.on_button)
    bolt.action(CANCEL_ACTION)(handlers.on_button)
    bolt.command("/usage")(handlers.on_usage)
    return bolt


class SlackApp:
    """The bot on Slack: Bolt's app and listeners over ``client``, taking requests once
    started, and the answers in progress."""

    def __init__(self, bot: SupportBot, client: AsyncWebClient) -> None:
        self.settings = bot.settings
        self.background = Background()
        self.handlers = Handlers(bot, client, self.background)
        self.bolt = build_bolt(self.handlers, client, self.settings.slack_signing_secret or "")
        self._intake: Intake | None = None

    async def start(self, host: str, port: int) -> int:
        """Take requests (HTTP, or Socket Mode when ``SLACK_APP_TOKEN`` is set); the port."""
        self._intake = Intake(self.bolt, self.settings.slack_app_token)
        return await self._intake.start(host, port)

    async def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop taking requests, then let the answers in progress finish."""
        if self._intake is not None:
            await self._intake.stop()
        return await self.background.drain(timeout_s)
