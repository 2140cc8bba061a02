"""The provider error table, on each provider, through the real SDKs: what the user sees
for every failure, and that nothing internal (stack, key, raw body) reaches the chat."""

from __future__ import annotations

import email.utils
import logging
import socket
import time

import pytest

from bot.outcomes import Notice, NoticeKind, Reply, TextDelta

from fake_llm import Fault, Say
from helpers import collect, inbound, notice, only

PROVIDERS = ["openai", "anthropic"]
BUSY = "Service is busy. Please try again in"
DOWN = "AI service temporarily unavailable"
CONFIG = "Service configuration error"
HTML = "<html><body><h1>502 Bad Gateway</h1><p>upstream nginx/1.27 10.0.3.7</p></body></html>"

ROWS = {
    "401": (Fault(401, "invalid x-api-key", "authentication_error"), CONFIG, None),
    "403": (Fault(403, "no access to model", "permission_error"), CONFIG, None),
    "404-model": (Fault(404, "model: claude-nope", "not_found_error"), CONFIG, None),
    "429-retry-after": (
        Fault(429, "slow down", "rate_limit_error", {"retry-after": "7"}),
        f"{BUSY} 7 seconds",
        7,
    ),
    "429-retry-after-ms": (
        Fault(429, "slow", "rate_limit_error", {"retry-after-ms": "2500"}),
        f"{BUSY} 3 seconds",
        3,
    ),
    "429-no-header": (Fault(429, "slow down", "rate_limit_error"), f"{BUSY} 10 seconds", 10),
    "400": (
        Fault(400, "Your message was flagged by the safety system.", "invalid_request_error"),
        "Invalid request: Your message was flagged by the safety system.",
        None,
    ),
    "429-out-of-credit": (
        Fault(429, "You exceeded your current quota", "insufficient_quota"),
        CONFIG,
        None,
    ),
    "400-billing": (Fault(400, "Your credit balance is too low", "billing_error"), CONFIG, None),
    "500": (Fault(500, "boom", "api_error"), DOWN, 60),
    "503": (Fault(503, "unavailable", "api_error"), DOWN, 60),
    "529": (Fault(529, "Overloaded", "overloaded_error"), DOWN, 60),
    "502-html": (Fault(502, raw_body=HTML), DOWN, 60),
}


def assert_clean(text: str) -> None:
    """Nothing internal in a chat message."""
    for leak in ("Traceback", "sk-test", "sk-ant-test", "<html", "nginx", "request_id", "{"):
        assert leak not in text, text


@pytest.mark.parametrize("row", ROWS)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_error_table(make_bot, sqlite_url, fake_llm, provider, row):  # noqa: ANN001
    fault, expected, retry_after = ROWS[row]
    bot = await make_bot(sqlite_url, llm_provider=provider)
    fake_llm.push(fault)
    found = notice(await bot.respond(inbound("hello")))
    assert found.kind is NoticeKind.PROVIDER_ERROR
    assert found.text.startswith(expected), found.text
    assert found.retry_after_s == retry_after
    assert_clean(found.text)
    assert len(fake_llm.requests) == 1  # llm_max_retries=0 in the fixture: no retry


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "message",
    [
        "messages.1.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01",
        "Invalid 'messages[2].tool_calls[0].id': string too long",
        "tools.0.input_schema: JSON schema is invalid",
        "Bad value in {'system': 'You are the support assistant'}",
    ],
)
async def test_bad_request_hides_our_internals(make_bot, sqlite_url, fake_llm, provider, message):  # noqa: ANN001
    bot = await make_bot(sqlite_url, llm_provider=provider)
    fake_llm.push(Fault(400, message, "invalid_request_error"))
    found = notice(await bot.respond(inbound("hello")))
    assert found.text == "Invalid request: the AI service could not process this message"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_bad_request_redacts_keys_and_html(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    bot = await make_bot(sqlite_url, llm_provider=provider)
    fake_llm.push(
        Fault(400, "Key sk-proj-abcdefghijk1234 is not valid here", "invalid_request_error"),
        Fault(400, raw_body=HTML),
    )
    first = notice(await bot.respond(inbound("hello")))
    assert first.text == "Invalid request: Key [redacted] is not valid here"
    second = notice(await bot.respond(inbound("hello again")))
    assert second.text == "Invalid request: the AI service could not process this message"
    assert_clean(first.text + second.text)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("error_type", "expected"),
    [("overloaded_error", DOWN), ("api_error", DOWN), ("rate_limit_error", f"{BUSY} 10 seconds")],
)
async def test_error_in_the_middle_of_a_stream(
    make_bot,
    sqlite_url,
    fake_llm,
    provider,
    error_type,
    expected,  # noqa: ANN001
):
    bot = await make_bot(sqlite_url, llm_provider=provider)
    fake_llm.push(Fault(mid_stream=True, error_type=error_type, message="stream broke"))
    events = await collect(bot.handle(inbound("hello")))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Partial answer"]
    assert not any(isinstance(e, Reply) for e in events)
    found = only(events, Notice)
    assert found.text.startswith(expected) and "stream broke" not in found.text

    # the half answer was not stored: the next turn's history does not contain it
    fake_llm.push(Say("Fine now."))
    assert only(await bot.respond(inbound("again?")), Reply).text == "Fine now."
    assert "Partial answer" not in str(fake_llm.requests[-1]["body"]["messages"])


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_stream_that_just_stops_is_not_taken_as_an_answer(
    make_bot,
    sqlite_url,
    fake_llm,
    provider,  # noqa: ANN001
):
    bot = await make_bot(sqlite_url, llm_provider=provider)
    fake_llm.push(Fault(drop=True, partial="Your order is on its w"))
    events = await collect(bot.handle(inbound("where is my order?")))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Your order is on its w"]
    assert only(events, Notice).text.startswith(DOWN)
    assert not any(isinstance(e, Reply) for e in events)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_deadline_for_the_whole_turn(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    bot = await make_bot(sqlite_url, llm_provider=provider, llm_timeout_s=0.5)
    fake_llm.push(Fault(hang_s=1.5))
    found = notice(await bot.respond(inbound("hello")))
    assert found.text.startswith("The request timed out")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_deadline_counts_a_slow_stream_too(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    """Every piece arrives well inside the SDK's read timeout; the turn still has one deadline."""
    bot = await make_bot(sqlite_url, llm_provider=provider, llm_timeout_s=0.6)
    fake_llm.push(Say("one two three four five six", chunks=6, gap_s=0.2))
    events = await collect(bot.handle(inbound("hello")))
    assert 1 <= sum(isinstance(e, TextDelta) for e in events) < 6
    assert only(events, Notice).text.startswith("The request timed out")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_unreachable_service(make_bot, sqlite_url, provider):  # noqa: ANN001
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    bot = await make_bot(
        sqlite_url, llm_provider=provider, openai_base_url=f"{url}/v1", anthropic_base_url=url
    )
    found = notice(await bot.respond(inbound("hello")))
    assert found.text.startswith(DOWN)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_configuration_error_is_logged_once(
    make_bot,
    sqlite_url,
    fake_llm,
    provider,
    caplog,
):
    bot = await make_bot(sqlite_url, llm_provider=provider)
    fake_llm.push(*[Fault(401, "invalid x-api-key", "authentication_error")] * 3)
    with caplog.at_level(logging.DEBUG, logger="supportbot"):
        for text in ("one", "two", "three"):
            assert notice(await bot.respond(inbound(text))).text.startswith(CONFIG)
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1 and errors[0].levelno == logging.ERROR
    assert provider in errors[0].getMessage() and "API key" in errors[0].getMessage()
    assert "sk-" not in caplog.text


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_retry_after_as_a_date(make_bot, sqlite_url, fake_llm, provider):  # noqa: ANN001
    bot = await make_bot(sqlite_url, llm_provider=provider)
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    fake_llm.push(Fault(429, "slow down", "rate_limit_error", {"retry-after": when}))
    found = notice(await bot.respond(inbound("hello")))
    assert found.text.startswith(BUSY) and 18 <= found.retry_after_s <= 21
