"""The Slack adapter end to end: the real Bolt app over HTTP, signed requests, a fake Web API."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from fake_llm import Fault, Say
from fakes.slack_api import BOT_USER, TEAM, FakeSlackAPI, fixture, message_text
from fakes.slack_harness import CHANNEL, MENTION_TS, mention_payload

pytest_plugins = ("fakes.slack_harness",)  # the fake_slack and slack fixtures

ADA = "U0ADA0001"
mention = mention_payload
QUESTION = "where is my latest order?"


def thread_text(
    fake: FakeSlackAPI, channel: str = CHANNEL, thread_ts: str | None = MENTION_TS
) -> str:

    return "\n".join(message_text(m) for m in fake.thread(channel, thread_ts))


async def test_mention_is_answered_in_a_thread_under_it(slack, fake_slack, fake_llm):
    app = await slack()
    fake_llm.push(Say("Your order **A-1001** ships today."))
    status, _ = await app.sender.event(mention(QUESTION))
    assert status == 200
    await app.settle()
    status_call = fake_slack.calls_to("assistant.threads.setStatus")[0].args
    assert status_call["thread_ts"] == MENTION_TS and status_call["status"]  # work shown first
    [answer] = fake_slack.thread(CHANNEL, MENTION_TS)
    assert answer["markdown"] == "Your order **A-1001** ships today."  # short: one message
    sent = fake_llm.requests[-1]["body"]["messages"][-1]["content"]
    assert sent == QUESTION  # the bot's own mention is not part of the question


async def test_a_longer_answer_is_streamed_into_the_thread(slack, fake_slack, fake_llm):
    app = await slack()
    answer = "Here is what happened with your order. " * 20
    fake_llm.push(Say(answer, chunks=20))
    await app.sender.event(mention(QUESTION))
    await app.settle()
    start = fake_slack.calls_to("chat.startStream")[0].args
    assert start["channel"] == CHANNEL and start["thread_ts"] == MENTION_TS
    assert start["recipient_user_id"] == ADA and start["recipient_team_id"] == TEAM
    assert len(fake_slack.calls_to("chat.stopStream")) == 1
    [message] = fake_slack.thread(CHANNEL, MENTION_TS)
    assert message["markdown"] == answer and message["streaming"] is False


async def test_dm_is_answered_in_the_dm(slack, fake_slack, fake_llm):
    app = await slack()
    fake_llm.push(Say("You're on the *Pro* plan."))
    await app.sender.event(fixture("message_im"))
    await app.settle()
    messages = fake_slack.thread("D0ADA0001", None)
    assert len(messages) == 1 and "You're on the _Pro_ plan." in message_text(messages[0])
    assert not fake_slack.calls_to("chat.startStream")  # nothing to stream into at a DM's top level


def thread_reply(text: str, ts: str, event_id: str, thread_ts: str = MENTION_TS) -> dict:
    payload = fixture("message_thread_reply")
    payload["event_id"] = event_id
    payload["event"].update(text=text, ts=ts, event_ts=ts, thread_ts=thread_ts)
    return payload


async def test_thread_follow_up_needs_no_mention(slack, fake_slack, fake_llm):
    app = await slack()
    fake_llm.push(Say("Your latest order is A-1001."))
    await app.sender.event(mention(QUESTION))
    await app.settle()
    elsewhere = thread_reply(
        "unrelated chatter", "1764849900.000001", "Ev0OTHER01", thread_ts="1764849000.000009"
    )
    await app.sender.event(elsewhere)
    fake_llm.push(Say("It arrives on Friday."))
    await app.sender.event(
        thread_reply("and when will it arrive?", "1764849660.000300", "Ev0THREAD001")
    )
    await app.settle()
    assert "It arrives on Friday." in thread_text(fake_slack)
    assert len(fake_llm.requests) == 2  # the thread the bot is not part of got nothing
    assert not fake_slack.thread(CHANNEL, "1764849000.000009")
    history = fake_llm.requests[-1]["body"]["messages"]
    assert any("A-1001" in str(m.get("content")) for m in history)  # same conversation


async def test_retried_event_is_answered_once_also_after_a_restart(slack, fake_slack, fake_llm):
    app = await slack()
    fake_llm.push(Say("Answer one."))
    payload = mention(QUESTION)
    first, retry = await asyncio.gather(
        app.sender.event(payload), app.sender.event(payload, retry=1)
    )
    assert first[0] == retry[0] == 200
    await app.settle()
    await app.stop()
    restarted = await slack()
    assert (await restarted.sender.event(payload, retry=2))[0] == 200
    await restarted.settle()
    assert len(fake_llm.requests) == 1
    assert [m["markdown"] for m in fake_slack.thread(CHANNEL, MENTION_TS)] == ["Answer one."]
    assert len(fake_slack.calls_to("assistant.threads.setStatus")) == 1  # redeliveries stay quiet


async def test_a_mention_inside_the_thread_is_answered_once(slack, fake_slack, fake_llm):
    app = await slack()
    fake_llm.push(Say("First answer."))
    await app.sender.event(mention(QUESTION))
    await app.settle()
    fake_llm.push(Say("Second answer."))
    again = mention("and the other one?", event_id="Ev0MENTION02", ts="1764849700.000001")
    again["event"]["thread_ts"] = MENTION_TS
    same = thread_reply(again["event"]["text"], "1764849700.000001", "Ev0MESSAGE02")
    await asyncio.gather(app.sender.event(again), app.sender.event(same))  # Slack sends both
    await app.settle()
    assert len(fake_llm.requests) == 2
    assert [m["markdown"] for m in fake_slack.thread(CHANNEL, MENTION_TS)] == [
        "First answer.",
        "Second answer.",
    ]


async def test_bad_signature_is_refused_with_401(slack, fake_slack, fake_llm):
    app = await slack()
    status, _ = await app.sender.event(mention("hello"), secret="not-the-secret")
    assert status == 401
    status, _ = await app.sender.command(fixture("slash_usage"), secret="not-the-secret")
    assert status == 401
    await app.settle()
    assert not fake_llm.requests
    assert not fake_slack.calls_to("chat.postMessage", "chat.startStream", "response_url")


@pytest.mark.parametrize(
    "name", ["message_changed", "message_deleted", "channel_join", "message_bot"]
)
async def test_edits_deletions_joins_and_bot_messages_are_ignored(
    slack, fake_slack, fake_llm, name
):
    app = await slack()
    fake_llm.push(Say("Hello."))
    await app.sender.event(mention(QUESTION))  # so the bot takes part in the thread these refer to
    await app.settle()
    before = len(fake_slack.calls)
    assert (await app.sender.event(fixture(name)))[0] == 200
    await app.settle()
    assert len(fake_llm.requests) == 1
    assert fake_slack.calls[before:] == []


async def test_own_messages_are_ignored(slack, fake_slack, fake_llm):
    app = await slack()
    own = thread_reply("Your latest order is A-1001.", "1764849700.000001", "Ev0OWN0001")
    own["event"]["user"] = BOT_USER
    assert (await app.sender.event(own))[0] == 200
    await app.settle()
    assert not fake_llm.requests
    assert not fake_slack.calls_to(
        "chat.postMessage", "chat.startStream", "assistant.threads.setStatus"
    )


async def test_a_message_over_10000_characters_is_refused_politely(slack, fake_slack, fake_llm):
    app = await slack()
    await app.sender.event(mention("x" * 10_001))
    await app.settle()
    assert not fake_llm.requests
    text = thread_text(fake_slack)
    assert "10,000" in text and "shorten" in text


async def test_provider_429_becomes_the_busy_message_in_the_thread(slack, fake_slack, fake_llm):
    app = await slack()
    fake_llm.push(
        Fault(
            status=429,
            message="rate limited",
            error_type="rate_limit_error",
            headers={"retry-after": "7"},
        )
    )
    await app.sender.event(mention(QUESTION))
    await app.settle()
    assert "Service is busy. Please try again in 7 seconds" in thread_text(fake_slack)


@pytest.mark.parametrize("refused", ["chat.startStream", "chat.postMessage"])
async def test_without_markdown_streaming_the_answer_becomes_mrkdwn(
    slack, fake_slack, fake_llm, refused
):
    app = await slack()
    fake_slack.fail(refused, "method_not_supported_for_channel_type")
    answer = (
        "Here is **the answer**."
        if refused == "chat.postMessage"
        else "Here is **the answer**. " * 20
    )
    fake_llm.push(Say(answer, chunks=10))
    await app.sender.event(mention(QUESTION))
    await app.settle()
    [message] = fake_slack.thread(CHANNEL, MENTION_TS)
    assert "Here is *the answer*." in message_text(message) and not message["markdown"]


async def test_without_thread_status_a_placeholder_shows_work_and_becomes_the_answer(
    slack, fake_slack, fake_llm
):
    app = await slack()
    fake_slack.fail("assistant.threads.setStatus", "not_allowed_token_type")
    fake_llm.push(Say("All good."))
    await app.sender.event(mention(QUESTION))
    await app.settle()
    placeholder = fake_slack.calls_to("chat.postMessage")[0].args
    assert "Working on it" in placeholder["text"] and placeholder["thread_ts"] == MENTION_TS
    [message] = fake_slack.thread(CHANNEL, MENTION_TS)
    assert "All good." in message_text(message) and "Working" not in message_text(message)


async def test_slack_rate_limits_are_retried(slack, fake_slack, fake_llm):
    app = await slack()
    fake_slack.fail("chat.postMessage", "ratelimited", status=429, retry_after=0)
    fake_llm.push(Say("Worth the wait."))
    await app.sender.event(fixture("message_im"))
    await app.settle()
    assert len(fake_slack.calls_to("chat.postMessage")) == 2  # the 429, then the retry
    assert "Worth the wait." in message_text(fake_slack.thread("D0ADA0001", None)[0])


async def test_long_answers_are_split_within_slack_limits(slack, fake_slack, fake_llm):
    app = await slack()
    long_answer = "\n\n".join(f"Paragraph {n}: " + "lorem ipsum " * 40 for n in range(60))
    assert len(long_answer) > 25_000
    fake_llm.push(Say(long_answer, chunks=40), Say(long_answer, chunks=40))
    await app.sender.event(mention(QUESTION))
    await app.settle()
    streamed = fake_slack.thread(CHANNEL, MENTION_TS)
    assert len(streamed) >= 3 and all(len(m["markdown"]) <= 12_000 for m in streamed)
    assert "".join(m["markdown"] for m in streamed) == long_answer
    await app.sender.event(fixture("message_im"))  # top level of a DM: mrkdwn sections
    await app.settle()
    posted = fake_slack.thread("D0ADA0001", None)
    assert len(posted) >= 2  # the fake refuses sections over 3,000 and text over 40,000
    assert "Paragraph 59" in message_text(posted[-1])


async def test_model_output_cannot_ping_the_channel(slack, fake_slack, fake_llm):
    app = await slack()
    fake_llm.push(
        Say("Attention @here and <!channel> and @everyone: <!subteam^S1|@support>!", chunks=9)
    )
    await app.sender.event(mention(QUESTION))
    await app.settle()
    text = thread_text(fake_slack)
    for ping in ("@here", "@channel", "@everyone", "<!"):
        assert ping not in text
    assert "@\u200bhere" in text and "@support" in text


async def test_health_check(slack):
    app = await slack()
    async with aiohttp.ClientSession() as session, session.get(f"{app.base}/healthz") as response:
        assert response.status == 200 and (await response.json())["ok"] is True


async def test_agent_view_threads_get_suggested_prompts(slack, fake_slack):
    app = await slack()
    await app.sender.event(fixture("assistant_thread_started"))
    [call] = await fake_slack.wait_calls("assistant.threads.setSuggestedPrompts")
    assert call.args["channel_id"] == "D0ADA0001" and call.args["prompts"]
