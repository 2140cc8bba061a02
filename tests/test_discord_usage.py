"""/usage as an application command, and when the commands are registered with Discord."""

from __future__ import annotations

import pytest

from adapters.discord import serve
from adapters.discord.sync import SyncState

from fake_llm import Say
from fakes.discord_harness import connected, discord_settings
from fakes.discord_payloads import BOT_ID, GUILD_ID, HELP_CHANNEL_ID
from fakes.discord_rest import EPHEMERAL
from fakes.discord_server import ADA, EVE, GRACE, FakeDiscord

pytest_plugins = ("fakes.discord_fixtures",)  # the fake_discord fixture


@pytest.fixture
def build(make_bot, sqlite_url, fake_discord):  # noqa: ANN001, ANN201
    def open_bot(**overrides: object):  # noqa: ANN202
        return make_bot(
            sqlite_url,
            **discord_settings(fake_discord),
            bot_admins=f"discord:{ADA.id}",
            **overrides,
        )

    return open_bot


async def run_usage(fake: FakeDiscord, user, **options) -> dict:  # noqa: ANN001
    """``user`` runs /usage; returns the body of the (ephemeral) answer."""
    await fake.slash("usage", user, **options)
    [callback] = await fake.wait_for("POST", "/interactions/")
    assert callback.body["type"] == 5 and callback.body["data"]["flags"] == EPHEMERAL
    [answer] = await fake.wait_for("POST", f"/webhooks/{BOT_ID}/")
    assert answer.body["flags"] & EPHEMERAL
    return answer.body


async def some_usage(fake: FakeDiscord, fake_llm) -> None:  # noqa: ANN001
    fake_llm.push(Say("Hello!"))
    await fake.say("hi", EVE)
    await fake.wait_for("POST", f"/channels/{HELP_CHANNEL_ID}/messages")


async def test_admin_gets_the_report_as_an_ephemeral_embed(build, fake_llm, fake_discord):
    bot = await build()
    async with connected(fake_discord, bot) as client:
        await some_usage(fake_discord, fake_llm)
        assert await client.wait_idle(5.0)
        body = await run_usage(fake_discord, ADA, options={"period": "7d"})
    [embed] = body["embeds"]
    assert embed["title"] == "Usage, last 7 days"
    assert "**1** requests" in embed["description"]
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert "gpt-4o-mini: 1 requests" in fields["By model"]
    assert f"<@{EVE.id}>" in fields["Top users"]
    assert fields["Requests per day"].startswith("`")


async def test_non_admin_is_refused_privately(build, fake_llm, fake_discord):
    bot = await build()
    async with connected(fake_discord, bot):
        body = await run_usage(fake_discord, EVE)
    assert body["content"] == "Sorry, only admins can see usage."
    assert not body.get("embeds")


async def test_manage_server_permission_makes_an_admin(build, fake_llm, fake_discord):
    bot = await build(discord_admin_guilds=GUILD_ID)
    assert not bot.settings.is_admin("discord", GRACE.id)
    async with connected(fake_discord, bot):
        body = await run_usage(fake_discord, GRACE)
    assert body["embeds"][0]["title"] == "Usage, last 30 days"


async def test_manage_server_elsewhere_does_not_open_the_report(build, fake_llm, fake_discord):
    """Anyone can invite a public bot to a server of their own and manage it there."""
    bot = await build(discord_admin_guilds="1290000000000000999")
    async with connected(fake_discord, bot):
        body = await run_usage(fake_discord, GRACE)
    assert body["content"] == "Sorry, only admins can see usage."


async def test_report_for_one_user(build, fake_llm, fake_discord):
    bot = await build()
    async with connected(fake_discord, bot) as client:
        await some_usage(fake_discord, fake_llm)
        assert await client.wait_idle(5.0)
        body = await run_usage(fake_discord, ADA, users={"user": ADA})
    assert body["embeds"][0]["description"].startswith(f"for <@{ADA.id}>: **0** requests")


async def test_unknown_period_is_explained(build, fake_llm, fake_discord):
    bot = await build()
    async with connected(fake_discord, bot):
        body = await run_usage(fake_discord, ADA, options={"period": "fortnight"})
    assert "I don't understand 'fortnight'" in body["content"]


async def test_commands_are_registered_once_then_only_when_changed(build, fake_discord):
    bot = await build()
    async with connected(fake_discord, bot):
        pass
    [put] = fake_discord.find("PUT", f"/applications/{BOT_ID}/commands")
    [usage] = put.body
    assert usage["name"] == "usage" and int(usage["default_member_permissions"]) == 32
    assert usage["contexts"] == [0, 1]  # guilds and the bot's DMs

    async with connected(fake_discord, bot):  # a restart with the same commands
        pass
    assert len(fake_discord.find("PUT", f"/applications/{BOT_ID}/commands")) == 1

    await SyncState(bot.store.db).remember(int(BOT_ID), "an older command set")
    async with connected(fake_discord, bot):
        pass
    assert len(fake_discord.find("PUT", f"/applications/{BOT_ID}/commands")) == 2


async def test_sync_flag_registers_and_exits_without_the_gateway(build, fake_discord, capsys):
    settings = (await build()).settings
    assert await serve(settings, sync=True) == 0
    assert await serve(settings, sync=True) == 0  # explicit: sent even when unchanged
    assert len(fake_discord.find("PUT", f"/applications/{BOT_ID}/commands")) == 2
    assert not fake_discord.sessions  # never connected to the gateway
    assert "Registered the application commands" in capsys.readouterr().err
