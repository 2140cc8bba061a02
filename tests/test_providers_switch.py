"""A conversation stored while on one provider continues on the other: a new bot instance
with another LLM_PROVIDER over the same SQLite database sends a well-formed history."""

from __future__ import annotations

import json

import pytest

from bot.llm.anthropic_provider import AnthropicProvider
from bot.llm.openai_provider import OpenAIProvider
from bot.llm.types import ChatMessage, ErrorKind, ModelRequest, ProviderError, ToolCall
from bot.outcomes import Reply, Resolution

from fake_llm import Call, Say
from helpers import actor, collect, confirmation, inbound, only


def assert_valid_anthropic(messages: list[dict]) -> None:
    """Alternating turns from a user turn; each tool_use answered first thing next turn."""
    assert messages[0]["role"] == "user"
    assert all(a["role"] != b["role"] for a, b in zip(messages, messages[1:], strict=False))
    for number, message in enumerate(messages):
        assert all(b.get("text", "x") for b in message["content"])  # no empty text block
        uses = [b["id"] for b in message["content"] if b["type"] == "tool_use"]
        if not uses:
            continue
        answer = messages[number + 1]["content"][: len(uses)]
        assert [b["type"] for b in answer] == ["tool_result"] * len(uses)
        assert [b["tool_use_id"] for b in answer] == uses


def assert_valid_openai(messages: list[dict]) -> None:
    """Every tool message answers a call of the assistant message just before it."""
    waiting: set[str] = set()
    for message in messages:
        if message["role"] == "tool":
            assert message["tool_call_id"] in waiting
            waiting.discard(message["tool_call_id"])
            continue
        assert not waiting, "a tool call was left unanswered"
        if message["role"] == "assistant" and message.get("tool_calls"):
            waiting = {call["id"] for call in message["tool_calls"]}
    assert not waiting


def tool_ids(messages: list[dict]) -> set[str]:
    ids = set()
    for message in messages:
        for block in message["content"] if isinstance(message["content"], list) else []:
            ids |= {block.get("id"), block.get("tool_use_id")} - {None}
        ids |= {call["id"] for call in message.get("tool_calls") or []}
        ids |= {message["tool_call_id"]} if message.get("tool_call_id") else set()
    return ids


def cancellable_order(messages: list[dict]) -> str:
    """A processing order's id from the list_orders result, in either wire format."""
    for message in messages:
        blocks = message["content"] if isinstance(message["content"], list) else [message]
        for block in blocks:
            if block.get("role") == "tool" or block.get("type") == "tool_result":
                orders = json.loads(block["content"]).get("orders", [])
                return next(o["order_id"] for o in orders if o["status"] == "processing")
    raise AssertionError("no list_orders result was sent")


async def test_openai_conversation_continues_on_anthropic(make_bot, sqlite_url, fake_llm):  # noqa: ANN001
    first = await make_bot(sqlite_url, llm_provider="openai")
    fake_llm.push(Call([("list_orders", {})], text="Looking."), Say("You have three orders."))
    await first.respond(inbound("What are my orders?"))
    fake_llm.push(Call([("get_account", {}), ("list_orders", {})]), Say("All good."))
    await first.respond(inbound("And my account?"))
    openai_ids = tool_ids(fake_llm.requests[-1]["body"]["messages"])
    assert len(openai_ids) == 3 and all(i.startswith("call_") for i in openai_ids)
    await first.close()

    second = await make_bot(sqlite_url, llm_provider="anthropic")
    fake_llm.push(Say("Welcome back."))
    assert only(await second.respond(inbound("Thanks!")), Reply).text == "Welcome back."
    sent = fake_llm.requests[-1]
    assert sent["api"] == "anthropic"
    messages = sent["body"]["messages"]
    assert_valid_anthropic(messages)
    assert tool_ids(messages) == openai_ids  # OpenAI's ids, paired the same way
    assert messages[0]["content"][0]["text"] == "What are my orders?"
    assert messages[-1]["content"][-1]["text"] == "Thanks!"


async def test_anthropic_conversation_continues_on_openai(make_bot, sqlite_url, fake_llm):  # noqa: ANN001
    first = await make_bot(sqlite_url, llm_provider="anthropic")
    fake_llm.push(Call([("list_orders", {})]), Say("Three orders."))
    await first.respond(inbound("my orders"))
    await first.close()

    second = await make_bot(sqlite_url, llm_provider="openai")
    fake_llm.push(Say("Sure."))
    await second.respond(inbound("thanks"))
    messages = fake_llm.requests[-1]["body"]["messages"]
    assert_valid_openai(messages)
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert all(i.startswith("toolu_") for i in tool_ids(messages))


@pytest.mark.parametrize(("before", "after"), [("openai", "anthropic"), ("anthropic", "openai")])
async def test_confirmation_asked_on_one_provider_finishes_on_the_other(
    make_bot,
    sqlite_url,
    fake_llm,
    before,
    after,  # noqa: ANN001
):
    first = await make_bot(sqlite_url, llm_provider=before)
    fake_llm.push(Call([("list_orders", {})]), Say("You have three orders."))
    await first.respond(inbound("my orders"))
    order_id = cancellable_order(fake_llm.requests[-1]["body"]["messages"])
    fake_llm.push(Call([("cancel_order", {"order_id": order_id})], text="Sure."))
    request = confirmation(await first.respond(inbound(f"cancel {order_id}")))
    await first.close()

    second = await make_bot(sqlite_url, llm_provider=after)
    fake_llm.push(Say("Cancelled."))
    events = await collect(second.resolve(request.pending_id, actor("U1"), confirm=True))
    assert only(events, Resolution).status == "confirmed"
    assert only(events, Reply).text == "Cancelled."
    sent = fake_llm.requests[-1]
    assert sent["api"] == after
    check = assert_valid_anthropic if after == "anthropic" else assert_valid_openai
    check(sent["body"]["messages"])
    assert '"status": "cancelled"' in str(sent["body"]["messages"])


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_the_fake_refuses_an_unanswered_tool_call_as_the_api_does(fake_llm, provider):  # noqa: ANN001
    """The checks above would pass on anything if the fake accepted anything."""
    kind, url = (
        (OpenAIProvider, fake_llm.openai_url)
        if provider == "openai"
        else (AnthropicProvider, fake_llm.anthropic_url)
    )
    model = kind(api_key="sk-test", base_url=url, timeout_s=5, max_retries=0)
    unanswered = (
        ChatMessage("user", "hi"),
        ChatMessage("assistant", "", (ToolCall("call_1", "list_orders", "{}"),)),
        ChatMessage("user", "and?"),
    )
    try:
        with pytest.raises(ProviderError) as raised:
            _ = [event async for event in model.stream(ModelRequest("m", "s", unanswered))]
    finally:
        await model.aclose()
    assert raised.value.kind is ErrorKind.BAD_REQUEST and raised.value.status == 400
    assert raised.value.detail == ""  # the API's words name our message indexes: not shown
