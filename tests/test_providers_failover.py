"""Failover: an unavailable or timed-out primary hands the turn to LLM_FALLBACK_PROVIDER,
once, and the usage record names the provider that served it."""

from __future__ import annotations

import sqlite3

import pytest

from bot.outcomes import Reply, TextDelta

from fake_llm import Call, Fault, Say
from helpers import collect, inbound, notice, only

PAIRS = [("openai", "anthropic"), ("anthropic", "openai")]


def usage_rows(sqlite_url: str) -> list[tuple[str, str]]:
    """``(provider, model)`` of every stored usage record, oldest first."""
    with sqlite3.connect(sqlite_url.split("///", 1)[1]) as db:
        return db.execute("SELECT provider, model FROM usage_record ORDER BY id").fetchall()


async def fallback_bot(make_bot, sqlite_url, primary, fallback, **overrides):  # noqa: ANN001, ANN003, ANN201
    return await make_bot(
        sqlite_url,
        llm_provider=primary,
        llm_fallback_provider=fallback,
        llm_fallback_model="gpt-4o" if fallback == "openai" else "claude-sonnet-4-6",
        **overrides,
    )


@pytest.mark.parametrize(("primary", "fallback"), PAIRS)
@pytest.mark.parametrize(
    "fault",
    [Fault(503, "down", "api_error"), Fault(529, "Overloaded", "overloaded_error")],
    ids=["503", "529"],
)
async def test_unavailable_primary_hands_over(
    make_bot, sqlite_url, fake_llm, primary, fallback, fault
):  # noqa: ANN001
    bot = await fallback_bot(make_bot, sqlite_url, primary, fallback)
    fake_llm.push(fault, Say("Served by the fallback."))
    assert only(await bot.respond(inbound("hello")), Reply).text == "Served by the fallback."
    assert [r["api"] for r in fake_llm.requests] == [primary, fallback]
    model = "gpt-4o" if fallback == "openai" else "claude-sonnet-4-6"
    assert fake_llm.requests[1]["body"]["model"] == model
    assert usage_rows(sqlite_url) == [(fallback, model)]


@pytest.mark.parametrize(("primary", "fallback"), PAIRS)
async def test_hanging_primary_hands_over(make_bot, sqlite_url, fake_llm, primary, fallback):  # noqa: ANN001
    bot = await fallback_bot(make_bot, sqlite_url, primary, fallback, llm_timeout_s=0.5)
    fake_llm.push(Fault(hang_s=1.5), Say("Fallback is quick."))
    assert only(await bot.respond(inbound("hello")), Reply).text == "Fallback is quick."
    assert [r["api"] for r in fake_llm.requests] == [primary, fallback]
    assert [provider for provider, _ in usage_rows(sqlite_url)] == [fallback]


async def test_failover_mid_turn_continues_the_tool_loop(make_bot, sqlite_url, fake_llm):  # noqa: ANN001
    """OpenAI asks for a tool, then goes down; Anthropic answers with OpenAI's tool call in
    its history, well-formed."""
    bot = await fallback_bot(make_bot, sqlite_url, "openai", "anthropic")
    fake_llm.push(Call([("list_orders", {})]), Fault(503, "down"), Say("Three orders."))
    assert only(await bot.respond(inbound("my orders?")), Reply).text == "Three orders."
    assert [r["api"] for r in fake_llm.requests] == ["openai", "openai", "anthropic"]
    messages = fake_llm.requests[2]["body"]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    use, result = messages[1]["content"][0], messages[2]["content"][0]
    assert use["type"] == "tool_use" and result["type"] == "tool_result"
    assert result["tool_use_id"] == use["id"]
    assert [p for p, _ in usage_rows(sqlite_url)] == ["openai", "anthropic"]


@pytest.mark.parametrize(("primary", "fallback"), PAIRS)
async def test_failover_happens_once(make_bot, sqlite_url, fake_llm, primary, fallback):  # noqa: ANN001
    bot = await fallback_bot(make_bot, sqlite_url, primary, fallback)
    fake_llm.push(Fault(503, "down"), Fault(529, "Overloaded", "overloaded_error"), Say("never"))
    assert notice(await bot.respond(inbound("hello"))).text.startswith(
        "AI service temporarily unavailable"
    )
    assert [r["api"] for r in fake_llm.requests] == [primary, fallback]
    assert usage_rows(sqlite_url) == []


async def test_no_failover_after_text_was_shown(make_bot, sqlite_url, fake_llm):  # noqa: ANN001
    """The user already saw part of the answer: a second model would start over under it."""
    bot = await fallback_bot(make_bot, sqlite_url, "openai", "anthropic")
    fake_llm.push(Fault(mid_stream=True, error_type="server_error"), Say("never"))
    events = await collect(bot.handle(inbound("hello")))
    assert any(isinstance(e, TextDelta) for e in events)
    assert notice([e for e in events if not isinstance(e, TextDelta)]).text.startswith(
        "AI service temporarily unavailable"
    )
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(
    "fault",
    [Fault(429, "slow", "rate_limit_error", {"retry-after": "3"}), Fault(401, "bad key")],
    ids=["429", "401"],
)
async def test_busy_or_misconfigured_primary_does_not_fail_over(
    make_bot, sqlite_url, fake_llm, fault
):  # noqa: ANN001
    bot = await fallback_bot(make_bot, sqlite_url, "anthropic", "openai")
    fake_llm.push(fault, Say("never"))
    notice(await bot.respond(inbound("hello")))
    assert len(fake_llm.requests) == 1
