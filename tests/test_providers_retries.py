"""The SDKs' own retries, configured from settings: retry-after honoured, bounded by the
turn's deadline, and no second retry layer on top."""

from __future__ import annotations

import time

import pytest

from bot.outcomes import Reply

from fake_llm import Fault, Say
from helpers import inbound, notice, only

PROVIDERS = ["openai", "anthropic"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_retry_after_is_honoured(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    bot = await make_bot(sqlite_url, llm_provider=provider, llm_max_retries=2)
    fake_llm.push(Fault(429, "slow down", "rate_limit_error", {"retry-after": "1"}), Say("Hi!"))
    started = time.monotonic()
    outcomes = await bot.respond(inbound("hello"))
    elapsed = time.monotonic() - started
    assert only(outcomes, Reply).text == "Hi!"
    assert len(fake_llm.requests) == 2
    assert elapsed >= 0.9  # the SDK waited as it was told (a generous lower bound only)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_overloaded_is_retried_then_served(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    bot = await make_bot(sqlite_url, llm_provider=provider, llm_max_retries=1)
    fake_llm.push(
        Fault(529, "Overloaded", "overloaded_error", {"retry-after-ms": "20"}), Say("Back.")
    )
    assert only(await bot.respond(inbound("hello")), Reply).text == "Back."
    assert len(fake_llm.requests) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_retries_are_bounded_by_the_setting(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    bot = await make_bot(sqlite_url, llm_provider=provider, llm_max_retries=2)
    fake_llm.push(*[Fault(503, "down", "api_error", {"retry-after-ms": "10"})] * 4, Say("late"))
    assert notice(await bot.respond(inbound("hello"))).text.startswith(
        "AI service temporarily unavailable"
    )
    assert len(fake_llm.requests) == 3  # one call plus LLM_MAX_RETRIES, nothing stacked on top


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_wait_past_the_deadline_is_not_taken(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    """Asked to wait 40 s with 5 s left, the bot says so at once instead of timing out."""
    bot = await make_bot(sqlite_url, llm_provider=provider, llm_max_retries=2, llm_timeout_s=5)
    fake_llm.push(Fault(429, "slow down", "rate_limit_error", {"retry-after": "40"}), Say("x"))
    found = notice(await bot.respond(inbound("hello")))
    assert found.text.startswith("Service is busy. Please try again in 40 seconds")
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_client_errors_are_not_retried(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    bot = await make_bot(sqlite_url, llm_provider=provider, llm_max_retries=2)
    fake_llm.push(Fault(401, "bad key", "authentication_error"), Say("x"))
    assert notice(await bot.respond(inbound("hello"))).text.startswith("Service configuration")
    assert len(fake_llm.requests) == 1
