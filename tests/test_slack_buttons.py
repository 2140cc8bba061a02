"""Confirm / Cancel on Slack: buttons, who may press them, once only, after a restart."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.storage.models import Order

from fake_llm import Call, Say
from fakes.slack_api import message_text
from fakes.slack_harness import CHANNEL, MENTION_TS, click_payload, mention_payload

pytest_plugins = ("fakes.slack_harness",)  # the fake_slack and slack fixtures


ADA, EVE = "U0ADA0001", "U0EVE0002"


async def order_status(bot, order_id: str) -> str:  # noqa: ANN001
    async with bot.store.engine.connect() as conn:
        query = select(Order.__table__.c.status).where(Order.__table__.c.id == order_id)
        return (await conn.execute(query)).scalar_one()


async def ask_to_cancel(app, fake_slack, fake_llm) -> tuple[str, dict]:  # noqa: ANN001
    """Ada (a demo customer) asks to cancel an order; returns it and the button message."""
    bot = app.bot
    customer = await bot.store.customers.create(
        f"slack:{ADA}", "Ada", bot.clock.now(), demo_orders=True
    )
    async with bot.store.engine.connect() as conn:
        query = select(Order.__table__.c.id).where(
            Order.__table__.c.customer_id == customer.id, Order.__table__.c.status == "processing"
        )
        order_id = (await conn.execute(query)).scalars().first()
    fake_llm.push(Call([("cancel_order", {"order_id": order_id})], text="Sure, one moment."))
    await app.sender.event(mention_payload(f"please cancel {order_id}"))
    await app.settle()
    [buttons] = [
        m
        for m in fake_slack.thread(CHANNEL, MENTION_TS)
        if m.get("blocks") and any(b["type"] == "actions" for b in m["blocks"])
    ]
    return order_id, buttons


def decided(fake_slack, message: dict) -> dict:  # noqa: ANN001
    return fake_slack.messages[(message["channel"], message["ts"])]


async def test_the_button_message_has_the_summary_a_guarded_confirm_and_cancel(
    slack, fake_slack, fake_llm
):
    app = await slack()
    order_id, message = await ask_to_cancel(app, fake_slack, fake_llm)
    assert order_id in message_text(message) and message["thread_ts"] == MENTION_TS
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    confirm, cancel = actions["elements"]
    pending = await app.bot.store.pending.get(confirm["value"])
    assert pending is not None and pending.status == "pending"  # the value is the pending id only
    assert cancel["value"] == confirm["value"]
    assert confirm["style"] == "danger" and confirm["confirm"]["style"] == "danger"
    dialog = confirm["confirm"]
    assert len(dialog["title"]["text"]) <= 100 and len(dialog["text"]["text"]) <= 300
    assert len(dialog["confirm"]["text"]) <= 30 and len(dialog["deny"]["text"]) <= 30
    assert "Sure, one moment." in "\n".join(
        message_text(m) for m in fake_slack.thread(CHANNEL, MENTION_TS)
    )


async def test_confirm_by_someone_else_is_refused_privately(slack, fake_slack, fake_llm):
    app = await slack()
    order_id, message = await ask_to_cancel(app, fake_slack, fake_llm)
    requests = len(fake_llm.requests)
    url = fake_slack.response_url("eve")
    assert (await app.sender.interaction(click_payload(message, "supportbot_confirm", EVE, url)))[
        0
    ] == 200
    await app.settle()
    [refusal] = fake_slack.calls_to("response_url")
    assert (
        refusal.args["response_type"] == "ephemeral" and refusal.args["replace_original"] is False
    )
    assert f"Only <@{ADA}> can confirm" in refusal.args["text"]
    assert not fake_slack.calls_to("chat.update")
    assert decided(fake_slack, message)["blocks"] == message["blocks"]
    assert await order_status(app.bot, order_id) == "processing"
    assert len(fake_llm.requests) == requests


async def test_double_click_runs_the_action_once(slack, fake_slack, fake_llm):
    app = await slack()
    order_id, message = await ask_to_cancel(app, fake_slack, fake_llm)
    fake_llm.push(Say("Done: order cancelled and refunded."))
    click = click_payload(message, "supportbot_confirm", ADA, fake_slack.response_url("ada"))
    await asyncio.gather(app.sender.interaction(click), app.sender.interaction(click))
    await app.settle()
    assert await order_status(app.bot, order_id) == "cancelled"
    updates = [c for c in fake_slack.calls_to("chat.update") if c.args["ts"] == message["ts"]]
    assert len(updates) == 1
    final = decided(fake_slack, message)
    assert not any(b["type"] == "actions" for b in final["blocks"])  # buttons gone
    assert f"Confirmed by <@{ADA}>" in message_text(final) and "Done." in message_text(final)
    [again] = fake_slack.calls_to("response_url")
    assert "no longer pending" in again.args["text"] and again.args["response_type"] == "ephemeral"
    thread = "\n".join(message_text(m) for m in fake_slack.thread(CHANNEL, MENTION_TS))
    assert thread.count("order cancelled and refunded") == 1  # the model's follow-up, once


async def test_cancel_changes_nothing_and_says_so(slack, fake_slack, fake_llm):
    app = await slack()
    order_id, message = await ask_to_cancel(app, fake_slack, fake_llm)
    fake_llm.push(Say("OK, I left your order as it is."))
    await app.sender.interaction(
        click_payload(message, "supportbot_cancel", ADA, fake_slack.response_url())
    )
    await app.settle()
    assert await order_status(app.bot, order_id) == "processing"
    final = decided(fake_slack, message)
    assert f"Cancelled by <@{ADA}>" in message_text(final)
    assert not any(b["type"] == "actions" for b in final["blocks"])
    assert "left your order as it is" in "\n".join(
        message_text(m) for m in fake_slack.thread(CHANNEL, MENTION_TS)
    )


async def test_confirm_after_a_restart(slack, fake_slack, fake_llm):
    first = await slack()
    order_id, message = await ask_to_cancel(first, fake_slack, fake_llm)
    await first.stop()
    await first.bot.close()
    restarted = await slack()  # a new bot and a new app over the same database
    fake_llm.push(Say("Your order is cancelled."))
    click = click_payload(message, "supportbot_confirm", ADA, fake_slack.response_url())
    await restarted.sender.interaction(click)
    await restarted.settle()
    assert await order_status(restarted.bot, order_id) == "cancelled"
    assert f"Confirmed by <@{ADA}>" in message_text(decided(fake_slack, message))
    assert "Your order is cancelled." in "\n".join(
        message_text(m) for m in fake_slack.thread(CHANNEL, MENTION_TS)
    )


async def test_a_press_after_expiry_runs_nothing(slack, fake_slack, fake_llm):
    app = await slack()
    order_id, message = await ask_to_cancel(app, fake_slack, fake_llm)
    app.bot.clock.advance(app.bot.settings.pending_action_ttl_s + 1)
    requests = len(fake_llm.requests)
    await app.sender.interaction(
        click_payload(message, "supportbot_confirm", ADA, fake_slack.response_url())
    )
    await app.settle()
    assert await order_status(app.bot, order_id) == "processing"
    final = decided(fake_slack, message)
    assert "Expired" in message_text(final) and not any(
        b["type"] == "actions" for b in final["blocks"]
    )
    thread = "\n".join(message_text(m) for m in fake_slack.thread(CHANNEL, MENTION_TS))
    assert "expired before it was confirmed" in thread
    assert len(fake_llm.requests) == requests
