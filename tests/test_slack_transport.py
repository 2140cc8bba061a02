"""The two ways Slack reaches the bot, and start-up checks: Socket Mode and the settings."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from adapters.slack import run
from adapters.slack.server import missing_settings
from bot.config import load_settings

from fake_llm import Say
from fakes.slack_api import APP_TOKEN
from fakes.slack_harness import CHANNEL, MENTION_TS, mention_payload

pytest_plugins = ("fakes.slack_harness",)  # the fake_slack and slack fixtures


async def test_socket_mode_when_an_app_token_is_set(slack, fake_slack, fake_llm):
    app = await slack(slack_app_token=APP_TOKEN)
    fake_llm.push(Say("Hello over the socket."))
    await fake_slack.push(mention_payload("hello"), envelope_id="env-1")
    [ack] = await fake_slack.wait_calls("socket_ack")
    assert ack.args["envelope_id"] == "env-1"
    await app.settle()
    assert [m["markdown"] for m in fake_slack.thread(CHANNEL, MENTION_TS)] == [
        "Hello over the socket."
    ]
    await fake_slack.push(mention_payload("hello"), envelope_id="env-2", retry=1)  # redelivered
    await fake_slack.wait_calls("socket_ack", count=2)
    await app.settle()
    assert len(fake_llm.requests) == 1
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{app.base}/slack/events", data="{}") as events:
            assert events.status == 404  # in Socket Mode events never come over HTTP
        async with session.get(f"{app.base}/healthz") as health:
            assert health.status == 200


async def test_the_request_url_check_is_answered(slack):
    app = await slack()
    challenge = {
        "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    status, body = await app.sender.event(challenge)
    assert status == 200 and challenge["challenge"] in body


def test_start_up_says_what_is_missing(capsys):
    assert "SLACK_BOT_TOKEN" in missing_settings(load_settings(_env_file=None))
    no_secret = load_settings(_env_file=None, slack_bot_token="xoxb-1")
    assert "SLACK_SIGNING_SECRET" in missing_settings(no_secret)
    assert (
        missing_settings(
            load_settings(_env_file=None, slack_bot_token="xoxb-1", slack_app_token="xapp-1")
        )
        is None
    )
    assert run(no_secret) == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err


def test_the_manifest_asks_for_what_the_app_uses():
    manifest = (Path(__file__).resolve().parent.parent / "slack" / "manifest.yaml").read_text()
    listed = set(re.findall(r"^\s+- ([a-z_.:]+)", manifest, re.MULTILINE))
    events = {
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
        "assistant_thread_started",
    }
    scopes = {
        "app_mentions:read",
        "assistant:write",
        "channels:history",
        "groups:history",
        "im:history",
        "mpim:history",
        "chat:write",
        "commands",
        "users:read",
    }
    assert events | scopes <= listed
    assert "command: /usage" in manifest and "should_escape: true" in manifest
    assert re.search(r"^  agent_view:", manifest, re.MULTILINE)  # new apps: not assistant_view
    assert not re.search(r"^\s*assistant_view:", manifest, re.MULTILINE)
    assert re.search(r"interactivity:\s+is_enabled: true", manifest)
    assert "socket_mode_enabled: true" in manifest
