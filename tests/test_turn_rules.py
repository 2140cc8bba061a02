"""The model loop's own rules: empty answers, paragraphs between rounds, the turn deadline
with a fallback, and the round cap."""

from __future__ import annotations

import bot.llm.anthropic_provider  # noqa: F401  (imported up front, as SupportBot.open does)
from bot.outcomes import NoticeKind, Reply
from bot.turn import EMPTY_REPLY, ROUND_CAP_REPLY

from fake_llm import Call, Fault, Say
from helpers import inbound, notice, only


async def test_an_empty_answer_becomes_a_friendly_line_and_is_stored(
    make_bot, sqlite_url, fake_llm
):
    bot = await make_bot(sqlite_url)
    fake_llm.push(Say(""), Say("ok"))
    assert only(await bot.respond(inbound("hm")), Reply).text == EMPTY_REPLY
    await bot.respond(inbound("again"))
    assert fake_llm.requests[-1]["body"]["messages"][2] == {
        "role": "assistant",
        "content": EMPTY_REPLY,
    }


async def test_a_streaming_primary_may_use_the_whole_turn(make_bot, sqlite_url, fake_llm):
    """With a fallback configured the primary has half the turn to *start*; once it
    streams, it may finish within the whole deadline and is not cut off."""
    bot = await make_bot(
        sqlite_url, llm_timeout_s=1.2, llm_fallback_provider="anthropic", llm_max_retries=0
    )
    fake_llm.push(Say("one two three four five six", chunks=6, gap_s=0.15))
    reply = only(await bot.respond(inbound("count")), Reply)
    assert reply.text == "one two three four five six"
    assert [r["api"] for r in fake_llm.requests] == ["openai"]


async def test_a_primary_that_never_starts_leaves_the_fallback_time(make_bot, sqlite_url, fake_llm):
    bot = await make_bot(sqlite_url, llm_timeout_s=1.0, llm_fallback_provider="anthropic")
    fake_llm.push(Fault(hang_s=3), Say("from the fallback"))
    assert only(await bot.respond(inbound("hello")), Reply).text == "from the fallback"


async def test_the_round_cap_ends_politely(make_bot, sqlite_url, fake_llm):
    bot = await make_bot(sqlite_url, llm_max_tool_rounds=2)
    fake_llm.push(Call([("list_orders", {})]), Call([("get_account", {})]), Say("ok"))
    assert only(await bot.respond(inbound("loop")), Reply).text == ROUND_CAP_REPLY
    fake_llm.push(Say("fine"))
    await bot.respond(inbound("next"))  # the stored history is still valid for the provider
    assert only(await bot.respond(inbound("and next")), Reply).text


async def test_a_timeout_without_fallback_is_the_timeout_message(make_bot, sqlite_url, fake_llm):
    bot = await make_bot(sqlite_url, llm_timeout_s=0.3)
    fake_llm.push(Fault(hang_s=2))
    refusal = notice(await bot.respond(inbound("hello")))
    assert refusal.kind is NoticeKind.PROVIDER_ERROR and refusal.text.startswith(
        "The request timed out"
    )
