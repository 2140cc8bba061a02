"""Usage fidelity: input, output, cache-read and cache-write tokens as each API reports
them, totalled the same way, and priced by genai-prices with its cache prices."""

from __future__ import annotations

import sqlite3
from decimal import ROUND_HALF_UP, Decimal

import pytest
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price

from bot.llm.anthropic_provider import AnthropicProvider
from bot.llm.openai_provider import OpenAIProvider
from bot.llm.types import ChatMessage, Completed, ModelRequest
from bot.outcomes import Reply
from bot.usage import TokenUsage

from fake_llm import Say, Usage
from helpers import inbound, only

# What the fake reports: 1,000 prompt tokens, of which 600 read from the cache and (on
# Anthropic, which reports writes) 300 written to it; 50 output tokens.
REPORTED = Usage(input_tokens=1000, output_tokens=50, cached_tokens=600, cache_write_tokens=300)
EXPECTED = {
    "openai": TokenUsage(1000, 50, cache_read_tokens=600),  # OpenAI reports no cache writes
    "anthropic": TokenUsage(1000, 50, cache_read_tokens=600, cache_write_tokens=300),
}
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}


def price_micros(provider: str, tokens: TokenUsage) -> int:
    price = calc_price(
        PriceUsage(
            input_tokens=tokens.input_tokens,
            output_tokens=tokens.output_tokens,
            cache_read_tokens=tokens.cache_read_tokens or None,
            cache_write_tokens=tokens.cache_write_tokens or None,
        ),
        model_ref=MODELS[provider],
        provider_id=provider,
    ).total_price
    return int((Decimal(price) * 1_000_000).to_integral_value(ROUND_HALF_UP))


def stored_usage(sqlite_url: str) -> list[tuple]:
    with sqlite3.connect(sqlite_url.split("///", 1)[1]) as db:
        return db.execute(
            "SELECT provider, model, input_tokens, output_tokens, cache_read_tokens, "
            "cache_write_tokens, total_tokens, cost_micros FROM usage_record"
        ).fetchall()


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_cached_tokens_are_counted_and_priced(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    fake_llm.usage = REPORTED
    bot = await make_bot(sqlite_url, llm_provider=provider)
    fake_llm.push(Say("Cached hello."))
    assert only(await bot.respond(inbound("hello")), Reply).text == "Cached hello."
    tokens = EXPECTED[provider]
    cost = price_micros(provider, tokens)
    assert stored_usage(sqlite_url) == [
        (
            provider,
            MODELS[provider],
            tokens.input_tokens,
            tokens.output_tokens,
            tokens.cache_read_tokens,
            tokens.cache_write_tokens,
            1050,
            cost,
        )
    ]
    uncached = price_micros(provider, TokenUsage(1000, 50))
    assert cost != uncached  # the cache prices were applied, not the plain input price


@pytest.mark.parametrize("streaming", [True, False], ids=["streaming", "whole"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_provider_reports_usage_in_both_modes(fake_llm, provider, streaming):  # noqa: ANN001
    fake_llm.usage = REPORTED
    kind, url = (
        (OpenAIProvider, fake_llm.openai_url)
        if provider == "openai"
        else (AnthropicProvider, fake_llm.anthropic_url)
    )
    model = kind(api_key="sk-test", base_url=url, timeout_s=5, max_retries=0, streaming=streaming)
    request = ModelRequest(MODELS[provider], "Be brief.", (ChatMessage("user", "hi"),))
    fake_llm.push(Say("Hello there."))
    try:
        events = [event async for event in model.stream(request)]
    finally:
        await model.aclose()
    completed = events[-1]
    assert isinstance(completed, Completed)
    assert completed.usage == EXPECTED[provider]
    assert completed.model == MODELS[provider]
    assert completed.stop_reason == ("stop" if provider == "openai" else "end_turn")
    wire = fake_llm.requests[-1]["body"]
    if provider == "anthropic":
        assert wire["system"] == "Be brief." and wire["max_tokens"] == 1024
