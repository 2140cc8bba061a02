"""The Slack side of the tests: signed requests as Slack sends them, payload builders, and
the ``fake_slack`` / ``slack`` fixtures (a pytest plugin: ``pytest_plugins =
("fakes.slack_harness",)`` in a test module)."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from fakes.slack_api import BOT_USER, TOKEN, FakeSlackAPI, fixture

CHANNEL, MENTION_TS = "C0SUPPORT1", "1764849600.000100"


def mention_payload(
    text: str, event_id: str = "Ev0MENTION01", ts: str = MENTION_TS, user: str = "U0ADA0001"
) -> dict:
    """The recorded ``app_mention`` with this text (after the bot's mention), id, ts, user."""
    payload = fixture("app_mention")
    payload["event_id"] = event_id
    payload["event"].update(text=f"<@{BOT_USER}> {text}", ts=ts, event_ts=ts, user=user)
    return payload


def click_payload(message: dict, action_id: str, user: str, response_url: str) -> dict:
    """The recorded ``block_actions`` for a click on a button of ``message`` (as posted)."""
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    button = next(e for e in actions["elements"] if e["action_id"] == action_id)
    payload = fixture("block_actions")
    payload["user"].update(id=user, username=user.lower(), name=user.lower())
    payload["container"].update(message_ts=message["ts"], channel_id=message["channel"])
    if message.get("thread_ts"):
        payload["container"]["thread_ts"] = message["thread_ts"]
    else:
        payload["container"].pop("thread_ts", None)
    payload["message"] = {**payload["message"], **{k: message[k] for k in ("ts", "text", "blocks")}}
    payload["message"]["thread_ts"] = message.get("thread_ts")
    if not message.get("thread_ts"):
        payload["message"].pop("thread_ts")
    payload["channel"]["id"] = message["channel"]
    payload["response_url"] = response_url
    action = {k: button[k] for k in ("action_id", "value", "text", "type")}
    payload["actions"] = [
        {**action, "block_id": actions["block_id"], "action_ts": "1764849615.123456"}
    ]
    return payload


class SlackSender:
    """Posts signed requests to the bot's ``/slack/events`` like Slack does."""

    def __init__(
        self, url: str, signing_secret: str, session: aiohttp.ClientSession | None = None
    ) -> None:
        self.url = url
        self.secret = signing_secret
        self.session = session or aiohttp.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    def headers(self, body: str, content_type: str, secret: str | None = None) -> dict:
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(secret or self.secret).generate_signature(
            timestamp=timestamp, body=body
        )
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }

    async def post(
        self, body: str, content_type: str, *, secret: str | None = None, retry: int | None = None
    ) -> tuple[int, str]:
        headers = self.headers(body, content_type, secret)
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()

    async def event(self, payload: dict, **options: object) -> tuple[int, str]:
        return await self.post(json.dumps(payload), "application/json", **options)

    async def interaction(self, payload: dict, **options: object) -> tuple[int, str]:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **options)

    async def command(self, fields: dict, **options: object) -> tuple[int, str]:
        return await self.post(
            urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **options
        )


class SlackHarness:
    """The bot's real Slack app (Bolt's aiohttp adapter) served on 127.0.0.1 at a free
    port, talking to a fake Web API, with a :class:`SlackSender` to feed it."""

    def __init__(self, bot) -> None:  # noqa: ANN001 (a SupportBot)
        self.bot = bot
        self.app = None
        self.sender: SlackSender | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> SlackHarness:
        from adapters.slack import SlackApp, make_client

        self._session = aiohttp.ClientSession()
        self.app = SlackApp(self.bot, make_client(self.bot.settings, self._session))
        port = await self.app.start("127.0.0.1", 0)
        self.base = f"http://127.0.0.1:{port}"
        self.sender = SlackSender(
            f"{self.base}/slack/events", self.bot.settings.slack_signing_secret
        )
        return self

    async def settle(self, timeout_s: float = 5.0) -> None:
        """Wait until the work started by the requests sent so far is done (bounded)."""
        assert await self.app.background.drain(timeout_s), "background work did not finish in time"

    async def stop(self) -> None:
        assert await self.app.stop(), "background work did not finish in time"
        await self.sender.close()
        await self._session.close()


SIGNING_SECRET = "test-signing-secret"
USERS = {"U0ADA0001": "Ada", "U0EVE0002": "Eve", "U0ADMIN01": "Grace"}


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    """A started fake Web API that knows a few users."""
    async with FakeSlackAPI() as fake:
        for user_id, name in USERS.items():
            fake.add_user(user_id, name)
        yield fake


@pytest.fixture
async def slack(make_bot, sqlite_url, fake_slack) -> AsyncIterator:  # noqa: ANN001
    """``await slack(**settings)``: a new bot over the test database with its Slack app
    served; call it again for a restart (new bot, new app, same database)."""
    started: list[SlackHarness] = []

    async def start(**overrides: object) -> SlackHarness:
        bot = await make_bot(
            sqlite_url,
            slack_signing_secret=SIGNING_SECRET,
            slack_bot_token=TOKEN,
            slack_api_url=fake_slack.url,
            **overrides,
        )
        harness = await SlackHarness(bot).start()
        started.append(harness)
        return harness

    yield start
    for harness in started:
        if harness.sender is not None and not harness.sender.session.closed:
            await harness.stop()
