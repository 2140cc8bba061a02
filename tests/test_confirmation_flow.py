"""The cancel-order flow end to end: real SDK -> loopback fake model, real databases."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from bot.outcomes import NoticeKind, Reply, Resolution, TextDelta
from bot.storage.models import Order

from fake_llm import Call, Say
from helpers import actor, collect, confirmation, inbound, notice, only, reply_text


async def first_order(bot, user_key: str, status: str = "processing") -> str:  # noqa: ANN001
    customer = await bot.store.customers.for_user(user_key)
    async with bot.store.engine.connect() as conn:
        rows = await conn.execute(
            select(Order.__table__.c.id).where(
                Order.__table__.c.customer_id == customer.id, Order.__table__.c.status == status
            )
        )
        return rows.scalars().first()


async def order_status(bot, order_id: str) -> str:  # noqa: ANN001
    async with bot.store.engine.connect() as conn:
        return (
            await conn.execute(
                select(Order.__table__.c.status).where(Order.__table__.c.id == order_id)
            )
        ).scalar_one()


async def ask_to_cancel(bot, fake_llm, user="U1"):  # noqa: ANN001, ANN201
    """list -> cancel requested -> pending; returns (order id, confirmation request)."""
    fake_llm.push(Call([("list_orders", {})]), Say("You have three orders."))
    assert "three orders" in reply_text(await bot.respond(inbound("What are my orders?", user)))
    order_id = await first_order(bot, f"slack:{user}")
    fake_llm.push(Call([("cancel_order", {"order_id": order_id})], text="Sure."))
    outcomes = await bot.respond(inbound(f"Cancel {order_id}", user))
    return order_id, confirmation(outcomes)


async def test_cancel_order_full_flow(make_bot, database_url, fake_llm):
    bot = await make_bot(database_url)
    order_id, request = await ask_to_cancel(bot, fake_llm)
    assert order_id in request.summary and request.tool_name == "cancel_order"
    assert await order_status(bot, order_id) == "processing"  # nothing ran yet

    fake_llm.push(Say("Done: your order is cancelled and refunded."))
    events = await collect(bot.resolve(request.pending_id, actor("U1"), confirm=True))
    resolution = only(events, Resolution)
    assert resolution.status == "confirmed"
    assert "cancelled and refunded" in only(events, Reply).text
    assert any(isinstance(e, TextDelta) for e in events)
    assert await order_status(bot, order_id) == "cancelled"

    # the model saw the real tool result in place of the placeholder
    last_request = fake_llm.requests[-1]["body"]["messages"]
    tool_messages = [m for m in last_request if m["role"] == "tool"]
    assert json.loads(tool_messages[-1]["content"])["status"] == "cancelled"

    trail = await bot.store.pending.audit_trail(request.pending_id)
    assert [entry["event"] for entry in trail] == ["requested", "confirmed", "executed"]
    assert trail[1]["decided_by"] == "slack:U1" and trail[0]["requested_by"] == "slack:U1"
    assert json.loads(trail[0]["arguments"]) == {"order_id": order_id}

    again = await collect(bot.resolve(request.pending_id, actor("U1"), confirm=True))
    assert notice(again).kind is NoticeKind.NOT_PENDING


async def test_other_users_confirm_is_refused(make_bot, database_url, fake_llm):
    bot = await make_bot(database_url)
    order_id, request = await ask_to_cancel(bot, fake_llm)
    events = await collect(bot.resolve(request.pending_id, actor("U2", name="Eve"), confirm=True))
    refusal = notice(events)
    assert refusal.kind is NoticeKind.WRONG_USER and "Ada" in refusal.text and refusal.private
    assert await order_status(bot, order_id) == "processing"
    assert (await bot.store.pending.get(request.pending_id)).status == "pending"


async def test_double_confirm_runs_once(make_bot, database_url, fake_llm):
    bot = await make_bot(database_url)
    order_id, request = await ask_to_cancel(bot, fake_llm)
    fake_llm.push(Say("Cancelled."), Say("Cancelled."))
    first, second = await asyncio.gather(
        collect(bot.resolve(request.pending_id, actor("U1"), True)),
        collect(bot.resolve(request.pending_id, actor("U1"), True)),
    )
    kinds = sorted(type(e).__name__ for e in first + second if not isinstance(e, TextDelta))
    assert kinds.count("Resolution") == 1 and kinds.count("Notice") == 1
    trail = await bot.store.pending.audit_trail(request.pending_id)
    assert [entry["event"] for entry in trail].count("executed") == 1


async def test_two_instances_confirm_runs_once(make_bot, database_url, fake_llm):
    bot = await make_bot(database_url)
    other = await make_bot(database_url)
    _, request = await ask_to_cancel(bot, fake_llm)
    fake_llm.push(Say("Cancelled."), Say("Cancelled."))
    results = await asyncio.gather(
        collect(bot.resolve(request.pending_id, actor("U1"), True)),
        collect(other.resolve(request.pending_id, actor("U1"), True)),
    )
    assert sum(any(isinstance(e, Resolution) for e in events) for events in results) == 1


async def test_cancel_tells_the_model(make_bot, database_url, fake_llm):
    bot = await make_bot(database_url)
    order_id, request = await ask_to_cancel(bot, fake_llm)
    fake_llm.push(Say("OK, I left the order as it is."))
    events = await collect(bot.resolve(request.pending_id, actor("U1"), confirm=False))
    assert only(events, Resolution).status == "cancelled"
    assert await order_status(bot, order_id) == "processing"
    tool = [m for m in fake_llm.requests[-1]["body"]["messages"] if m["role"] == "tool"][-1]
    assert json.loads(tool["content"])["status"] == "declined"


async def test_expired_confirmation_is_refused(make_bot, database_url, fake_llm, clock):
    bot = await make_bot(database_url)
    order_id, request = await ask_to_cancel(bot, fake_llm)
    clock.advance(601)
    events = await collect(bot.resolve(request.pending_id, actor("U1"), True))
    assert notice(events).kind is NoticeKind.EXPIRED
    assert await order_status(bot, order_id) == "processing"
    # the model is told, through the stored tool result, on the next turn
    fake_llm.push(Say("That request expired."))
    await bot.respond(inbound("did it work?"))
    tool = [m for m in fake_llm.requests[-1]["body"]["messages"] if m["role"] == "tool"][-1]
    assert json.loads(tool["content"])["status"] == "expired"


async def test_unknown_pending_id(make_bot, database_url):
    bot = await make_bot(database_url)
    events = await collect(bot.resolve("no-such-id", actor("U1"), True))
    assert notice(events).kind is NoticeKind.NOT_PENDING


async def test_new_instance_resumes_history_and_pending(make_bot, database_url, fake_llm):
    bot = await make_bot(database_url)
    order_id, request = await ask_to_cancel(bot, fake_llm)
    await bot.close()
    restarted = await make_bot(database_url)
    fake_llm.push(Say("Cancelled after the restart."))
    events = await collect(restarted.resolve(request.pending_id, actor("U1"), True))
    assert only(events, Resolution).status == "confirmed"
    assert await order_status(restarted, order_id) == "cancelled"
    sent = fake_llm.requests[-1]["body"]["messages"]
    assert any(m["role"] == "user" and m["content"] == "What are my orders?" for m in sent)


async def test_message_while_pending_keeps_conversation_valid(make_bot, database_url, fake_llm):
    bot = await make_bot(database_url)
    order_id, request = await ask_to_cancel(bot, fake_llm)
    fake_llm.push(Say("We ship worldwide."))
    await bot.respond(inbound("Do you ship to Norway?"))
    sent = fake_llm.requests[-1]["body"]["messages"]
    call_ids = {
        c["id"] for m in sent if m["role"] == "assistant" for c in m.get("tool_calls") or []
    }
    result_ids = {m["tool_call_id"] for m in sent if m["role"] == "tool"}
    assert call_ids == result_ids
    fake_llm.push(Say("Cancelled."))
    await collect(bot.resolve(request.pending_id, actor("U1"), True))
    sent = fake_llm.requests[-1]["body"]["messages"]
    assert sent[-1]["role"] == "user" and "Automatic notice" in sent[-1]["content"]
    assert await order_status(bot, order_id) == "cancelled"


async def test_lapsed_and_interrupted_actions_are_settled(make_bot, database_url, fake_llm, clock):
    bot = await make_bot(database_url)
    _, lapsed = await ask_to_cancel(bot, fake_llm, user="U1")
    order_id, stuck = await ask_to_cancel(bot, fake_llm, user="U2")
    pending = await bot.store.pending.get(stuck.pending_id)
    # the process stops right after the claim, before the tool ran
    assert await bot.store.pending.claim(pending, "confirmed", "slack:U2", clock.now())
    clock.advance(2 * 3600)
    restarted = await make_bot(database_url)
    fake_llm.push(Say("That request lapsed."))
    await restarted.respond(inbound("what happened?", "U1"))
    tool = [m for m in fake_llm.requests[-1]["body"]["messages"] if m["role"] == "tool"][-1]
    assert json.loads(tool["content"])["status"] == "expired"
    assert (await restarted.store.pending.get(lapsed.pending_id)).status == "expired"
    assert (await restarted.store.pending.get(stuck.pending_id)).status == "failed"
    trail = await restarted.store.pending.audit_trail(stuck.pending_id)
    assert [e["event"] for e in trail] == ["requested", "confirmed", "failed"]
    assert "may or may not have happened" in trail[-1]["result"]
    # a click on the lapsed button now says it expired, and changes nothing
    events = await collect(restarted.resolve(lapsed.pending_id, actor("U1"), True))
    assert (
        notice(events).kind is NoticeKind.EXPIRED and only(events, Resolution).status == "expired"
    )
    assert await order_status(restarted, order_id) == "processing"
