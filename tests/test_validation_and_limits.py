"""Refusals before the model: validation, the rate limits, the spend caps."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.limits import UserRateLimiter, check_spend
from bot.outcomes import NoticeKind, Reply
from bot.storage.usage import Spend
from bot.usage import TokenUsage, UsageEntry
from bot.validation import validate_message

from fake_llm import Say
from helpers import inbound, notice, reply_text


async def test_over_long_message_is_refused_and_not_stored(make_bot, database_url, fake_llm):
    bot = await make_bot(database_url)
    outcomes = await bot.respond(inbound("x" * 10_001))
    refusal = notice(outcomes)
    assert refusal.kind is NoticeKind.INVALID and "10,000" in refusal.text
    assert fake_llm.requests == []
    assert not await bot.store.conversations.exists(inbound("").conversation_key)
    report = await bot.store.usage.aggregate(
        "model", bot.clock.now() - timedelta(days=1), bot.clock.now() + timedelta(days=1)
    )
    assert report == []


async def test_exactly_the_limit_is_accepted(make_bot, sqlite_url, fake_llm):
    bot = await make_bot(sqlite_url)
    fake_llm.push(Say("ok"))
    assert reply_text(await bot.respond(inbound("y" * 10_000))) == "ok"


@pytest.mark.parametrize("text", ["", "   ", "<@U0BOT>", "<@!123> \n"])
async def test_empty_mention_gets_help_not_an_error(make_bot, sqlite_url, fake_llm, text):
    bot = await make_bot(sqlite_url)
    help_ = notice(await bot.respond(inbound(text)))
    assert help_.kind is NoticeKind.HELP and "Acme Corp" in help_.text
    assert fake_llm.requests == []


def test_message_must_be_a_non_empty_string():
    assert validate_message(None).reason == "message must be a non-empty string"
    assert validate_message(" <@U1> ").help


async def test_rate_limit_is_per_user_and_says_when(make_bot, sqlite_url, fake_llm):
    bot = await make_bot(sqlite_url)
    for _ in range(10):
        assert isinstance((await bot.respond(inbound("hi", "U1")))[0], Reply)
    refusal = notice(await bot.respond(inbound("hi", "U1")))
    assert refusal.kind is NoticeKind.RATE_LIMITED and refusal.retry_after_s == 6
    assert "6 seconds" in refusal.text
    # another user in the same channel is not affected
    assert isinstance((await bot.respond(inbound("hi", "U2")))[0], Reply)
    assert len(fake_llm.requests) == 11


async def test_premium_tier_is_stricter_and_uses_premium_model(make_bot, sqlite_url, fake_llm):
    bot = await make_bot(sqlite_url, llm_premium_model="gpt-4o")
    await bot.store.customers.create("slack:VIP", "Grace", bot.clock.now(), plan="premium")
    for _ in range(3):
        assert isinstance((await bot.respond(inbound("hi", "VIP")))[0], Reply)
    refusal = notice(await bot.respond(inbound("hi", "VIP")))
    assert refusal.kind is NoticeKind.RATE_LIMITED and refusal.retry_after_s == 20
    assert {r["body"]["model"] for r in fake_llm.requests} == {"gpt-4o"}


async def test_limiter_evicts_idle_users():
    limiter = UserRateLimiter(per_minute=2, premium_per_minute=1, period_s=0.5)
    for user in range(500):
        assert (await limiter.check(f"u{user}", False)).allowed
    assert (await limiter.check("u0", False)).allowed
    assert not (await limiter.check("u0", False)).allowed
    assert len(limiter) == 500
    await asyncio.sleep(0.55)  # longer than the period: every bucket has drained
    assert (await limiter.check("fresh", False)).allowed
    assert len(limiter) == 1


async def test_daily_token_cap(make_bot, sqlite_url, fake_llm, clock: ManualClock):
    bot = await make_bot(sqlite_url, daily_token_cap_per_user=1)
    assert isinstance((await bot.respond(inbound("hi")))[0], Reply)
    refusal = notice(await bot.respond(inbound("again")))
    assert refusal.kind is NoticeKind.OVER_BUDGET and "today" in refusal.text
    assert len(fake_llm.requests) == 1
    assert isinstance((await bot.respond(inbound("hi", "U2")))[0], Reply)  # others unaffected
    clock.advance(24 * 3600)
    assert isinstance((await bot.respond(inbound("next day")))[0], Reply)


async def test_monthly_cost_cap(make_bot, database_url, fake_llm, clock: ManualClock):
    bot = await make_bot(database_url, monthly_cost_cap_usd="0.01")
    entry = UsageEntry(
        clock.now(),
        "slack:OTHER",
        None,
        "openai",
        "gpt-4o",
        "test",
        TokenUsage(1_000_000, 0),
        10_000,
        5,
    )
    await bot.store.usage.record([entry])  # $0.01 spent by someone else this month
    refusal = notice(await bot.respond(inbound("hi")))
    assert refusal.kind is NoticeKind.OVER_BUDGET and "month" in refusal.text
    assert fake_llm.requests == []


def test_spend_check_with_caps_off():
    assert check_spend(Spend(10**9, 10**12), 0, 0).allowed


def test_mentions_of_other_people_stay_in_the_text():
    assert validate_message("please tell <@U2> my order shipped").text == (
        "please tell <@U2> my order shipped"
    )
