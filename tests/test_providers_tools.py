"""A tool-calling turn on each provider, streaming and not, through the real SDKs over
loopback HTTP; and the neutral-to-Anthropic conversion rules."""

from __future__ import annotations

import json

import pytest
from conftest import bot_settings

from bot.core import SupportBot
from bot.llm.anthropic_provider import AnthropicProvider, to_anthropic_messages, tool_use_id
from bot.llm.openai_provider import OpenAIProvider
from bot.llm.types import ChatMessage, ToolCall
from bot.outcomes import Reply, TextDelta
from bot.storage.store import Store

from fake_llm import Call, Say
from helpers import collect, inbound, only

PROVIDERS = {"openai": OpenAIProvider, "anthropic": AnthropicProvider}


@pytest.fixture
async def bot_on(fake_llm, sqlite_url, clock):  # noqa: ANN001, ANN201
    """``await bot_on(provider, streaming)``: a bot whose provider streams or not."""
    bots: list[SupportBot] = []

    async def build(provider: str, streaming: bool) -> SupportBot:
        settings = bot_settings(fake_llm, sqlite_url, llm_provider=provider)
        kind = PROVIDERS[provider]
        model = kind(
            api_key="sk-test",
            base_url=fake_llm.openai_url if provider == "openai" else fake_llm.anthropic_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=0,
            streaming=streaming,
        )
        store = await Store.open(settings.database_url)
        bot = SupportBot(settings, store, providers={provider: model}, clock=clock)
        bots.append(bot)
        return bot

    yield build
    for bot in bots:
        await bot.close()


def check_openai_wire(body: dict) -> None:
    messages = body["messages"]
    assert messages[0]["role"] == "system" and "Acme" in messages[0]["content"]
    assistant = next(m for m in messages if m["role"] == "assistant")
    call = only(assistant["tool_calls"], dict)
    assert call["type"] == "function" and call["function"]["name"] == "list_orders"
    result = next(m for m in messages if m["role"] == "tool")
    assert result["tool_call_id"] == call["id"]
    assert "orders" in json.loads(result["content"])
    assert {t["function"]["name"] for t in body["tools"]} >= {"list_orders", "cancel_order"}
    assert len(body["safety_identifier"]) == 32 and "U1" not in body["safety_identifier"]


def check_anthropic_wire(body: dict) -> None:
    assert "Acme" in body["system"]
    messages = body["messages"]
    roles = [m["role"] for m in messages]
    assert roles == ["user", "assistant", "user"]
    text, use = messages[1]["content"]
    assert text == {"type": "text", "text": "Let me check."}
    assert use["type"] == "tool_use" and use["name"] == "list_orders" and use["input"] == {}
    result = only(messages[2]["content"], dict)
    assert result["type"] == "tool_result" and result["tool_use_id"] == use["id"]
    assert "orders" in json.loads(result["content"])
    tools = {t["name"]: t for t in body["tools"]}
    assert tools["cancel_order"]["input_schema"]["required"] == ["order_id"]
    assert len(body["metadata"]["user_id"]) == 32 and "U1" not in body["metadata"]["user_id"]


@pytest.mark.parametrize("streaming", [True, False], ids=["streaming", "whole"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_tool_calling_turn(bot_on, fake_llm, provider, streaming):  # noqa: ANN001
    bot = await bot_on(provider, streaming)
    fake_llm.push(
        Call([("list_orders", {})], text="Let me check."), Say("You have three orders.", chunks=4)
    )
    events = await collect(bot.handle(inbound("What are my orders?")))

    assert only(events, Reply).text == "Let me check.\n\nYou have three orders."
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert "".join(deltas) == only(events, Reply).text
    # 1 + paragraph break + 4 pieces, or one per model call and the break
    assert len(deltas) == (6 if streaming else 3)
    first, second = (r["body"] for r in fake_llm.requests)
    assert all(r["api"] == provider for r in fake_llm.requests)
    assert bool(first.get("stream")) is streaming and bool(second.get("stream")) is streaming
    (check_openai_wire if provider == "openai" else check_anthropic_wire)(second)

    # the turn was stored: the next request carries it as history
    fake_llm.push(Say("Anything else?"))
    await bot.respond(inbound("thanks"))
    history = json.dumps(fake_llm.requests[-1]["body"]["messages"])
    assert "list_orders" in history and "You have three orders." in history


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_tool_arguments_reach_the_tool(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    bot = await make_bot(sqlite_url, llm_provider=provider)
    fake_llm.push(Call([("get_order", {"order_id": "A-NOPE99"})]), Say("Not found."))
    assert only(await bot.respond(inbound("Where is A-NOPE99?")), Reply).text == "Not found."
    sent = json.dumps(fake_llm.requests[-1]["body"]["messages"])
    assert "A-NOPE99" in sent and "error" in sent  # the tool ran with the model's arguments


def test_tool_results_and_next_user_message_merge_into_one_user_turn():
    history = [
        ChatMessage("user", "cancel both"),
        ChatMessage(
            "assistant",
            "",
            (ToolCall("call_1", "get_order", '{"order_id": "A-1"}'), ToolCall("call_2", "x", "{")),
        ),
        ChatMessage("tool", '{"ok": 1}', tool_call_id="call_1"),
        ChatMessage("tool", '{"ok": 2}', tool_call_id="call_2"),
        ChatMessage("user", "[Automatic notice] decided"),
        ChatMessage("assistant", ""),  # an empty answer says nothing and is dropped
        ChatMessage("user", "and now?"),
    ]
    wire = to_anthropic_messages(history)
    assert [m["role"] for m in wire] == ["user", "assistant", "user"]
    uses = wire[1]["content"]
    assert [b["type"] for b in uses] == ["tool_use", "tool_use"]  # no empty text block
    assert uses[0]["input"] == {"order_id": "A-1"} and uses[1]["input"] == {}  # botched JSON
    merged = wire[2]["content"]
    assert [b["type"] for b in merged] == ["tool_result", "tool_result", "text", "text"]
    assert [b.get("tool_use_id") for b in merged[:2]] == ["call_1", "call_2"]
    assert merged[3]["text"] == "and now?"


def test_foreign_tool_ids_are_made_acceptable_on_both_sides():
    assert tool_use_id("call_abc-123") == "call_abc-123"
    assert tool_use_id("chatcmpl.tool:7/x") == "chatcmpl_tool_7_x"
    history = [
        ChatMessage("user", "hi"),
        ChatMessage("assistant", "", (ToolCall("id:1", "list_orders", "{}"),)),
        ChatMessage("tool", "{}", tool_call_id="id:1"),
    ]
    wire = to_anthropic_messages(history)
    assert wire[1]["content"][0]["id"] == wire[2]["content"][0]["tool_use_id"] == "id_1"
