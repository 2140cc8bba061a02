"""Mentions and DMs answered end to end: real discord.py <-> fake Discord, fake model, SQLite."""

from __future__ import annotations

import pytest

from adapters.discord.answer import SORRY

from fake_llm import Fault, Say
from fakes.discord_harness import connected, discord_settings
from fakes.discord_payloads import BOT_ID, GENERAL_CHANNEL_ID, HELP_CHANNEL_ID, THREAD_ID, FakeUser
from fakes.discord_server import ADA, EVE

pytest_plugins = ("fakes.discord_fixtures",)  # the fake_discord fixture
CHANNEL_POSTS = f"/channels/{HELP_CHANNEL_ID}/messages"


@pytest.fixture
async def bot(make_bot, sqlite_url, fake_discord):  # noqa: ANN001, ANN201
    return await make_bot(sqlite_url, **discord_settings(fake_discord))


async def test_mention_is_answered_as_a_reply(bot, fake_llm, fake_discord):
    fake_llm.push(Say("Your order A-1001 ships tomorrow."))
    async with connected(fake_discord, bot):
        message = await fake_discord.say("where is my order?")
        [post] = await fake_discord.wait_for("POST", CHANNEL_POSTS)
    assert str(post.body["message_reference"]["message_id"]) == message["id"]
    assert post.body["allowed_mentions"] == {"parse": []}  # nobody is notified
    [answer] = fake_discord.channel_messages(HELP_CHANNEL_ID)
    assert answer["content"] == "Your order A-1001 ships tomorrow."
    # the model saw the text without the bot's mention
    assert fake_llm.requests[-1]["body"]["messages"][-1]["content"] == "where is my order?"
    assert fake_discord.find("POST", f"/channels/{HELP_CHANNEL_ID}/typing")


async def test_model_text_cannot_ping_anyone(bot, fake_llm, fake_discord):
    fake_llm.push(Say(f"Hey @everyone and @here, ask <@&1290000000000000002> or <@{EVE.id}>!"))
    async with connected(fake_discord, bot):
        await fake_discord.say("who can help?")
        [post] = await fake_discord.wait_for("POST", CHANNEL_POSTS)
    # the text is shown as written, but Discord is told to notify nobody
    assert "@everyone" in post.body["content"]
    assert post.body["allowed_mentions"]["parse"] == []
    assert not post.body["allowed_mentions"].get("users")
    assert not post.body["allowed_mentions"].get("roles")


async def test_dm_is_answered_in_the_dm(bot, fake_llm, fake_discord):
    fake_llm.push(Say("Hello Ada, your account is in good standing."))
    async with connected(fake_discord, bot):
        await fake_discord.say("can you check my account?", dm=True)
        await fake_discord.wait_for("POST", f"/channels/{ADA.dm_channel_id}/messages")
    [answer] = fake_discord.channel_messages(ADA.dm_channel_id)
    assert answer["content"] == "Hello Ada, your account is in good standing."
    conversations = await bot.store.conversations.exists(f"discord//{ADA.dm_channel_id}/")
    assert conversations


async def test_a_channel_or_thread_is_one_conversation_private_per_user(
    bot, fake_llm, fake_discord
):
    fake_llm.push(Say("First answer."), Say("Second answer."), Say("In the thread."))
    async with connected(fake_discord, bot):
        await fake_discord.say("my name is Ada")
        await fake_discord.wait_for("POST", CHANNEL_POSTS)
        await fake_discord.say("what did I say?", EVE)
        await fake_discord.wait_for("POST", CHANNEL_POSTS, count=2)
        await fake_discord.say("a question in the thread", channel_id=THREAD_ID)
        await fake_discord.wait_for("POST", f"/channels/{THREAD_ID}/messages")
    contents = [
        [m["content"] for m in request["body"]["messages"] if m["role"] != "system"]
        for request in fake_llm.requests
    ]
    # one conversation, but the model sees only the asking user's part of it (privacy)
    assert contents[1] == ["what did I say?"]
    assert contents[2] == ["a question in the thread"]  # the thread starts its own
    [in_thread] = fake_discord.channel_messages(THREAD_ID)
    assert in_thread["content"] == "In the thread."


async def test_bots_own_messages_and_unmentioned_messages_are_ignored(bot, fake_llm, fake_discord):
    other_bot = FakeUser("1320000000000000001", "helper-bot", bot=True)
    myself = FakeUser(BOT_ID, "Acme Support", bot=True)
    fake_llm.push(Say("Only this one."))
    async with connected(fake_discord, bot):
        await fake_discord.say("loop forever", other_bot)
        await fake_discord.say("talking to myself", myself)
        await fake_discord.say("just chatting", mention=False, channel_id=GENERAL_CHANNEL_ID)
        await fake_discord.say("a real question")
        await fake_discord.wait_for("POST", CHANNEL_POSTS)
    assert len(fake_llm.requests) == 1
    assert not fake_discord.find("POST", f"/channels/{GENERAL_CHANNEL_ID}/messages")
    assert [m["content"] for m in fake_discord.channel_messages(HELP_CHANNEL_ID)] == [
        "Only this one."
    ]


async def test_a_replayed_event_is_answered_once(bot, fake_llm, fake_discord):
    """A gateway replay (same message id) must not produce a second answer."""
    fake_llm.push(Say("Answered once."), Say("The next one."))
    async with connected(fake_discord, bot) as client:
        first = await fake_discord.say("hello")
        await fake_discord.wait_for("POST", CHANNEL_POSTS)
        await fake_discord.say("hello", message_id=first["id"])
        await fake_discord.say("and now something new")
        await fake_discord.wait_for("POST", CHANNEL_POSTS, count=2)
        assert await client.wait_idle(5.0)
    assert [m["content"] for m in fake_discord.channel_messages(HELP_CHANNEL_ID)] == [
        "Answered once.",
        "The next one.",
    ]
    assert len(fake_llm.requests) == 2


async def test_a_mention_alone_gets_the_help_text(bot, fake_llm, fake_discord):
    async with connected(fake_discord, bot):
        await fake_discord.say("")
        [post] = await fake_discord.wait_for("POST", CHANNEL_POSTS)
    assert "support assistant" in post.body["content"]
    assert not fake_llm.requests


async def test_long_answer_is_split_in_two_clean_messages(bot, fake_llm, fake_discord):
    sentence = "Your refund is on its way and should arrive within five working days. "
    text = (sentence * 36).strip()  # 2,555 characters
    assert 2400 < len(text) < 2600
    fake_llm.push(Say(text, chunks=7))
    async with connected(fake_discord, bot):
        await fake_discord.say("where is my refund?")
        await fake_discord.wait_for("POST", CHANNEL_POSTS, count=2)
    first, second = fake_discord.channel_messages(HELP_CHANNEL_ID)
    assert len(first["content"]) <= 2000 and len(second["content"]) <= 2000
    assert first["content"].endswith("days.")  # cut between sentences, not inside a word
    assert f"{first['content']} {second['content']}" == text
    assert all(call.status < 300 for call in fake_discord.calls)  # Discord refused nothing


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(status=503, message="overloaded"), "AI service temporarily unavailable"),
        (Fault(status=429, headers={"retry-after": "7"}), "Please try again in 7 seconds"),
    ],
)
async def test_provider_error_becomes_the_friendly_message(
    bot, fake_llm, fake_discord, fault, expected
):
    fake_llm.push(fault)
    async with connected(fake_discord, bot):
        await fake_discord.say("hello?")
        [post] = await fake_discord.wait_for("POST", CHANNEL_POSTS)
    assert expected in post.body["content"]
    assert "overloaded" not in post.body["content"] and "internal" not in post.body["content"]


async def test_bot_keeps_answering_after_a_provider_error(bot, fake_llm, fake_discord):
    fake_llm.push(Fault(status=500), Say("Back to normal."))
    async with connected(fake_discord, bot):
        await fake_discord.say("first")
        await fake_discord.wait_for("POST", CHANNEL_POSTS)
        await fake_discord.say("second")
        await fake_discord.wait_for("POST", CHANNEL_POSTS, count=2)
    assert fake_discord.channel_messages(HELP_CHANNEL_ID)[-1]["content"] == "Back to normal."


async def test_an_unexpected_failure_is_a_short_apology(bot, fake_llm, fake_discord):
    async with connected(fake_discord, bot) as client:
        await bot.store.close()  # the database is gone: the core cannot take the turn
        await fake_discord.say("hello?")
        [post] = await fake_discord.wait_for("POST", CHANNEL_POSTS)
        assert not client.is_closed()
    assert post.body["content"] == SORRY
    assert "Traceback" not in post.body["content"]


async def test_gateway_heartbeats_and_a_reconnect_resumes_the_session(bot, fake_llm, fake_discord):
    fake_llm.push(Say("Still here."))
    async with connected(fake_discord, bot):
        assert fake_discord.sessions[0].heartbeats >= 1  # sent as soon as HELLO arrives
        await fake_discord.reconnect()  # op 7, as during a Discord deploy
        await fake_discord.wait_connected()
        await fake_discord.say("are you there?")
        await fake_discord.wait_for("POST", CHANNEL_POSTS)
    assert len(fake_discord.sessions) == 2 and len(fake_discord.identifies) == 1  # resumed
    assert fake_discord.channel_messages(HELP_CHANNEL_ID)[0]["content"] == "Still here."
