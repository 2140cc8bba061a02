"""Confirm / Cancel buttons end to end: persistent across restarts, only the requester, once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.storage.models import Order

from fake_llm import Call, Say
from fakes.discord_harness import connected, discord_settings
from fakes.discord_payloads import BOT_ID, HELP_CHANNEL_ID
from fakes.discord_rest import EPHEMERAL
from fakes.discord_server import ADA, EVE, FakeDiscord, FakeUser

pytest_plugins = ("fakes.discord_fixtures",)  # the fake_discord fixture
ORDERS = Order.__table__


@pytest.fixture
def build(make_bot, sqlite_url, fake_discord):  # noqa: ANN001, ANN201
    """Open a bot over the test's one SQLite database (again after a 'restart')."""
    return lambda: make_bot(sqlite_url, **discord_settings(fake_discord))


async def order_status(bot, order_id: str) -> str:  # noqa: ANN001
    query = select(ORDERS.c.status).where(ORDERS.c.id == order_id)
    return await bot.store.db.read(lambda conn: conn.execute(query).scalar_one())


async def ask_to_cancel(bot, fake_llm, fake, clock, user: FakeUser = ADA, dm: bool = False):  # noqa: ANN001, ANN201
    """The user asks to cancel an order; returns (order id, the button message)."""
    customer = await bot.store.customers.create(
        f"discord:{user.id}", user.global_name, clock.now(), demo_orders=True
    )
    query = select(ORDERS.c.id).where(
        ORDERS.c.customer_id == customer.id, ORDERS.c.status == "processing"
    )
    order_id = await bot.store.db.read(lambda conn: conn.execute(query).scalars().first())
    fake_llm.push(Call([("cancel_order", {"order_id": order_id})], text="Sure, I can do that."))
    await fake.say(f"please cancel {order_id}", user, dm=dm)
    channel = user.dm_channel_id if dm else HELP_CHANNEL_ID
    await fake.wait_for("POST", f"/channels/{channel}/messages", lambda c: c.body.get("components"))
    [message] = [m for m in fake.channel_messages(channel) if m["components"]]
    return order_id, message


def buttons(message: dict) -> list[dict]:
    return message["components"][0]["components"]


def edits_of_original(fake: FakeDiscord) -> list:  # noqa: ANN001
    return fake.find("PATCH", f"/webhooks/{BOT_ID}/", lambda c: c.path.endswith("/@original"))


def private_follow_ups(fake: FakeDiscord) -> list:
    return fake.find("POST", f"/webhooks/{BOT_ID}/", lambda c: c.body.get("flags", 0) & EPHEMERAL)


async def test_confirmation_shows_the_action_and_two_buttons(build, fake_llm, fake_discord, clock):
    bot = await build()
    async with connected(fake_discord, bot):
        order_id, message = await ask_to_cancel(bot, fake_llm, fake_discord, clock)
    confirm, cancel = buttons(message)
    assert order_id in message["content"] and "Only Ada can confirm" in message["content"]
    assert (confirm["label"], confirm["style"]) == ("Confirm", 4)  # danger: it is destructive
    assert (cancel["label"], cancel["style"]) == ("Cancel", 2)
    pending_id = confirm["custom_id"].rsplit(":", 1)[1]
    assert confirm["custom_id"] == f"supportbot:confirm:{pending_id}"
    assert (await bot.store.pending.get(pending_id)).status == "pending"
    assert fake_discord.channel_messages(HELP_CHANNEL_ID)[0]["content"] == "Sure, I can do that."


async def test_requesters_confirm_runs_it_and_updates_the_message(
    build, fake_llm, fake_discord, clock
):
    bot = await build()
    async with connected(fake_discord, bot):
        order_id, message = await ask_to_cancel(bot, fake_llm, fake_discord, clock)
        fake_llm.push(Say("Done: the order is cancelled and refunded."))
        await fake_discord.click(message["id"], buttons(message)[0]["custom_id"], ADA)
        await fake_discord.wait_for("PATCH", f"/webhooks/{BOT_ID}/")
        await fake_discord.wait_for("POST", f"/channels/{HELP_CHANNEL_ID}/messages", count=3)
    [callback] = fake_discord.find("POST", "/interactions/")
    assert callback.body["type"] == 6 and callback.status == 200  # deferred within 3 s
    edited = fake_discord.messages[message["id"]]
    assert "Confirmed" in edited["content"] and "by Ada" in edited["content"]
    assert all(button["disabled"] for button in buttons(edited))
    answer = fake_discord.channel_messages(HELP_CHANNEL_ID)[-1]
    assert answer["content"] == "Done: the order is cancelled and refunded."
    assert answer["message_reference"]["message_id"] == message["id"]
    assert await order_status(bot, order_id) == "cancelled"


async def test_another_users_click_is_refused_privately(build, fake_llm, fake_discord, clock):
    bot = await build()
    async with connected(fake_discord, bot):
        order_id, message = await ask_to_cancel(bot, fake_llm, fake_discord, clock)
        await fake_discord.click(message["id"], buttons(message)[0]["custom_id"], EVE)
        await fake_discord.wait_for("POST", f"/webhooks/{BOT_ID}/")
    [refusal] = private_follow_ups(fake_discord)
    assert "Only Ada can confirm or cancel" in refusal.body["content"]
    assert not edits_of_original(fake_discord)
    assert fake_discord.messages[message["id"]]["content"] == message["content"]
    assert await order_status(bot, order_id) == "processing"
    pending_id = buttons(message)[0]["custom_id"].rsplit(":", 1)[1]
    assert (await bot.store.pending.get(pending_id)).status == "pending"


async def test_double_click_runs_the_action_once(build, fake_llm, fake_discord, clock):
    bot = await build()
    async with connected(fake_discord, bot):
        order_id, message = await ask_to_cancel(bot, fake_llm, fake_discord, clock)
        fake_llm.push(Say("Cancelled."))
        custom_id = buttons(message)[0]["custom_id"]
        await asyncio.gather(
            fake_discord.click(message["id"], custom_id, ADA),
            fake_discord.click(message["id"], custom_id, ADA),
        )
        await fake_discord.wait_for("POST", f"/channels/{HELP_CHANNEL_ID}/messages", count=3)
        await fake_discord.wait_for("POST", f"/webhooks/{BOT_ID}/")
    assert len(fake_discord.find("POST", "/interactions/")) == 2  # both clicks answered
    assert len(edits_of_original(fake_discord)) == 1
    [refusal] = private_follow_ups(fake_discord)
    assert "no longer pending" in refusal.body["content"]
    pending_id = custom_id.rsplit(":", 1)[1]
    trail = [entry["event"] for entry in await bot.store.pending.audit_trail(pending_id)]
    assert trail == ["requested", "confirmed", "executed"]
    assert await order_status(bot, order_id) == "cancelled"


async def test_cancel_changes_nothing_and_says_so(build, fake_llm, fake_discord, clock):
    bot = await build()
    async with connected(fake_discord, bot):
        order_id, message = await ask_to_cancel(bot, fake_llm, fake_discord, clock)
        fake_llm.push(Say("No problem, I left the order as it is."))
        await fake_discord.click(message["id"], buttons(message)[1]["custom_id"], ADA)
        await fake_discord.wait_for("POST", f"/channels/{HELP_CHANNEL_ID}/messages", count=3)
    edited = fake_discord.messages[message["id"]]
    assert "Cancelled" in edited["content"] and "by Ada" in edited["content"]
    assert all(button["disabled"] for button in buttons(edited))
    assert await order_status(bot, order_id) == "processing"
    answer = fake_discord.channel_messages(HELP_CHANNEL_ID)[-1]["content"]
    assert answer == "No problem, I left the order as it is."


async def test_a_click_after_a_restart_still_works(build, fake_llm, fake_discord, clock):
    first = await build()
    async with connected(fake_discord, first):
        order_id, message = await ask_to_cancel(
            bot=first, fake_llm=fake_llm, fake=fake_discord, clock=clock
        )
    await first.close()  # the old process is gone: new client, new SupportBot, same database

    second = await build()
    fake_llm.push(Say("Done after the restart."))
    async with connected(fake_discord, second):
        await fake_discord.click(message["id"], buttons(message)[0]["custom_id"], ADA)
        await fake_discord.wait_for("POST", f"/channels/{HELP_CHANNEL_ID}/messages", count=3)
    assert "Confirmed" in fake_discord.messages[message["id"]]["content"]
    assert (
        fake_discord.channel_messages(HELP_CHANNEL_ID)[-1]["content"] == "Done after the restart."
    )
    assert await order_status(second, order_id) == "cancelled"


async def test_confirm_in_a_dm(build, fake_llm, fake_discord, clock):
    bot = await build()
    async with connected(fake_discord, bot):
        order_id, message = await ask_to_cancel(bot, fake_llm, fake_discord, clock, dm=True)
        fake_llm.push(Say("Cancelled, Ada."))
        await fake_discord.click(message["id"], buttons(message)[0]["custom_id"], ADA)
        await fake_discord.wait_for("POST", f"/channels/{ADA.dm_channel_id}/messages", count=3)
    assert "Confirmed" in fake_discord.messages[message["id"]]["content"]
    assert await order_status(bot, order_id) == "cancelled"


async def test_an_expired_request_says_so_and_does_nothing(build, fake_llm, fake_discord, clock):
    bot = await build()
    async with connected(fake_discord, bot):
        order_id, message = await ask_to_cancel(bot, fake_llm, fake_discord, clock)
        clock.advance(bot.settings.pending_action_ttl_s + 1)
        await fake_discord.click(message["id"], buttons(message)[0]["custom_id"], ADA)
        await fake_discord.wait_for("POST", f"/channels/{HELP_CHANNEL_ID}/messages", count=3)
    edited = fake_discord.messages[message["id"]]
    assert "Expired" in edited["content"] and all(b["disabled"] for b in buttons(edited))
    assert (
        "expired before it was confirmed"
        in fake_discord.channel_messages(HELP_CHANNEL_ID)[-1]["content"]
    )
    assert await order_status(bot, order_id) == "processing"
