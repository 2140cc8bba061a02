"""Starting and stopping ``python -m bot discord``: token errors, SIGTERM, the endpoints."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from adapters.discord import serve
from adapters.discord.client import RESTARTING, bot_intents

from fake_llm import Say
from fakes.discord_harness import connected, discord_settings
from fakes.discord_payloads import HELP_CHANNEL_ID
from fakes.discord_server import EVE, FakeDiscord


@pytest.fixture
async def fake_discord():
    async with FakeDiscord(token="the-right-token") as fake:
        yield fake


def environment(fake: FakeDiscord, fake_llm, sqlite_url: str, token: str) -> dict[str, str]:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "OPENAI_", "LLM_"))}
    env.update(
        DISCORD_BOT_TOKEN=token,
        DISCORD_API_URL=fake.api_url,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        OPENAI_BASE_URL=fake_llm.openai_url,
        OPENAI_API_KEY="sk-test",
        DATABASE_URL=sqlite_url,
    )
    return env


async def start(env: dict[str, str], cwd) -> asyncio.subprocess.Process:  # noqa: ANN001
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "discord",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_rejected_token_is_a_clear_start_up_error(
    fake_discord, fake_llm, sqlite_url, tmp_path
):
    env = environment(fake_discord, fake_llm, sqlite_url, token="a-revoked-token")
    process = await start(env, tmp_path)
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "Discord rejected DISCORD_BOT_TOKEN" in err.decode()
    assert "Traceback" not in err.decode()
    assert [call.path for call in fake_discord.calls] == ["/users/@me"]


async def test_sigterm_closes_the_gateway_cleanly(fake_discord, fake_llm, sqlite_url, tmp_path):
    env = environment(fake_discord, fake_llm, sqlite_url, token="the-right-token")
    process = await start(env, tmp_path)
    try:
        await fake_discord.wait_connected(within_s=60)
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, err.decode()
    await fake_discord.wait_disconnected()
    # A close frame, not a dropped connection (1006 / none). discord.py's close() sends
    # 4000 here rather than 1000, because its reader is waiting (Rapptz/discord.py#6134).
    [code] = fake_discord.close_codes
    assert code not in (None, 1006)
    assert "Traceback" not in err.decode()
    [identify] = fake_discord.identifies
    assert identify["intents"] == bot_intents().value


async def test_missing_token_says_what_to_set(make_bot, sqlite_url, capsys):
    settings = (await make_bot(sqlite_url)).settings
    assert await serve(settings) == 2
    assert "DISCORD_BOT_TOKEN is not set" in capsys.readouterr().err


async def test_rejected_token_in_process(make_bot, sqlite_url, fake_discord, capsys):
    overrides = {**discord_settings(fake_discord), "discord_bot_token": "wrong"}
    settings = (await make_bot(sqlite_url, **overrides)).settings
    assert await serve(settings) == 2
    assert "Discord rejected DISCORD_BOT_TOKEN" in capsys.readouterr().err


def test_intents_are_only_what_is_needed():
    intents = bot_intents()
    assert intents.guilds and intents.guild_messages and intents.dm_messages
    assert not intents.message_content and not intents.members and not intents.presences


async def test_shutdown_lets_answers_in_progress_finish(
    make_bot, sqlite_url, fake_llm, fake_discord
):
    bot = await make_bot(sqlite_url, **discord_settings(fake_discord))
    fake_llm.push(Say("The slow answer.", delay_s=0.5))
    channel = f"/channels/{HELP_CHANNEL_ID}"
    async with connected(fake_discord, bot) as client:
        await fake_discord.say("a slow question")
        await fake_discord.wait_for("POST", f"{channel}/typing")  # the turn has started
        shutdown = client.request_shutdown()
        await fake_discord.say("one more thing", EVE)
        [restarting] = await fake_discord.wait_for("POST", f"{channel}/messages")
        assert restarting.body["content"] == RESTARTING
        await asyncio.wait_for(shutdown, 10)
        assert client.is_closed()
    assert [m["content"] for m in fake_discord.channel_messages(HELP_CHANNEL_ID)] == [
        RESTARTING,
        "The slow answer.",
    ]
    assert len(fake_llm.requests) == 1
