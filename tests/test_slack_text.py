"""Slack text handling without a network: mrkdwn, pings, splitting, routing, parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.slack.mrkdwn import SECTION_LIMIT, ZWSP, escape, neutralise, split, to_mrkdwn
from adapters.slack.render import confirmation_message, reply_messages, requester_from_block
from adapters.slack.stream import SafeText
from adapters.slack.translate import Route, clean_text, route, to_inbound
from adapters.slack.usage import parse_command_text
from bot.outcomes import ConfirmationRequest

from fakes.slack_api import BOT_USER, fixture


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("**bold** and *italic* and __also bold__", "*bold* and _italic_ and *also bold*"),
        ("~~gone~~", "~gone~"),
        ("## Heading", "*Heading*"),
        ("- one\n* two\n  + nested", "• one\n• two\n  • nested"),
        ("[docs](https://acme.test/a?b=1)", "<https://acme.test/a?b=1|docs>"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("keep <@U123> and <#C123|general>", "keep <@U123> and <#C123|general>"),
        ("`**x** <y>`", "`**x** &lt;y&gt;`"),
        ("```python\nif a < b:\n    **no**\n```", "```\nif a &lt; b:\n    **no**\n```"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("> quoted", "&gt; quoted"),
    ],
)
def test_markdown_becomes_mrkdwn(markdown, mrkdwn):
    assert to_mrkdwn(markdown) == mrkdwn


@pytest.mark.parametrize(
    "text",
    [
        "@here",
        "@channel",
        "@everyone",
        "@Everyone!",
        "<!here>",
        "<!channel|channel>",
        "<!everyone>",
        "＠here",
        "hi @here.",
    ],
)
def test_broadcasts_are_neutralised(text):
    safe = neutralise(text)
    assert "<!" not in safe
    for word in ("here", "channel", "everyone"):
        assert f"@{word}" not in safe.lower() and f"＠{word}" not in safe.lower()
    assert ZWSP in safe


def test_other_specials_keep_their_label_and_ordinary_at_signs_stay():
    assert (
        neutralise("<!subteam^S0123|@support> <!date^1700000000^{date}|Nov 14>")
        == "@support Nov 14"
    )
    assert neutralise("mail ada@here.com or @ada") == "mail ada@here.com or @ada"
    assert escape("<script>") == "&lt;script&gt;"


def test_split_respects_the_limit_and_reopens_code_blocks():
    text = "intro\n\n```\n" + "\n".join(f"line {n}" for n in range(900)) + "\n```\n\noutro"
    pieces = split(text, SECTION_LIMIT)
    assert len(pieces) > 2 and all(len(p) <= SECTION_LIMIT for p in pieces)
    assert all(p.count("```") % 2 == 0 for p in pieces)
    assert pieces[-1].endswith("outro")
    assert split("x" * 7000, 3000) == ["x" * 2996, "x" * 2996, "x" * 1008]


def test_reply_messages_stay_under_block_limits():
    messages = reply_messages("word " * 20_000)
    assert len(messages) >= 7
    for message in messages:
        assert len(message["blocks"]) <= 5 and len(message["text"]) <= SECTION_LIMIT
        assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in message["blocks"])


def test_streamed_text_never_releases_half_a_ping():
    safe = SafeText()
    released = []
    for piece in ["Hello @ev", "ery", "one and <!cha", "nnel> and @h", "ere, bye"]:
        safe.add(piece)
        released.append(safe.take())
    released.append(safe.take(final=True))
    joined = "".join(released)
    assert "@everyone" not in joined and "<!channel>" not in joined and "@here" not in joined
    assert joined.replace(ZWSP, "") == "Hello @everyone and @channel and @here, bye"
    assert released[0] == "Hello "  # "@ev" waited for the rest of the word


def test_confirmation_dialog_fits_slack_limits_for_a_long_summary():
    request = ConfirmationRequest(
        pending_id="p-123",
        summary="Delete the account of @here " + "x" * 600,
        tool_name="delete_account",
        requester_user_id="U0ADA0001",
        requester_name="Ada",
        expires_at=datetime(2026, 12, 4, 15, 0, tzinfo=UTC),
    )
    message = confirmation_message(request)
    actions = message["blocks"][-1]
    confirm, cancel = actions["elements"]
    assert confirm["value"] == cancel["value"] == "p-123"
    assert len(confirm["confirm"]["text"]["text"]) <= 300
    assert "@here" not in confirm["confirm"]["text"]["text"]
    assert requester_from_block(actions["block_id"]) == "U0ADA0001"
    assert requester_from_block("something_else|U1") is None


def test_routing_decides_which_events_to_answer():
    mention = fixture("app_mention")["event"]
    assert route(mention, BOT_USER) is Route.MENTION
    assert route(fixture("message_im")["event"], BOT_USER) is Route.DM
    assert route(fixture("message_thread_reply")["event"], BOT_USER) is Route.THREAD
    for name in ("message_changed", "message_deleted", "channel_join", "message_bot"):
        assert route(fixture(name)["event"], BOT_USER) is Route.IGNORE, name
    same_message = {**mention, "type": "message", "channel_type": "channel"}
    assert route(same_message, BOT_USER) is Route.IGNORE  # the app_mention answers it
    reply = fixture("message_thread_reply")["event"]
    assert route({**reply, "subtype": "thread_broadcast"}, BOT_USER) is Route.THREAD
    for subtype in ("channel_join", "me_message", "message_replied", "bot_message"):
        assert route({**reply, "subtype": subtype}, BOT_USER) is Route.IGNORE, subtype
    top_level = {**reply}
    top_level.pop("thread_ts")
    assert route(top_level, BOT_USER) is Route.IGNORE
    assert route({**mention, "channel": "D0ADA0001"}, BOT_USER) is Route.IGNORE
    assert route({**mention, "user": BOT_USER}, BOT_USER) is Route.IGNORE


def test_inbound_message_for_a_mention():
    body = fixture("app_mention")
    body["event"]["text"] = (
        "<@U0BOT0001> see <#C0001|billing> and <https://acme.test|the docs> &amp; more"
    )
    message = to_inbound(body, body["event"], Route.MENTION, BOT_USER, "Ada")
    assert message.text == "see #billing and the docs (https://acme.test) & more"
    assert (message.platform, message.workspace, message.channel) == (
        "slack",
        "T0ACME001",
        "C0SUPPORT1",
    )
    assert message.thread == body["event"]["ts"] and not message.is_dm
    assert message.event_id == "Ev0MENTION01" and message.user_key == "slack:U0ADA0001"
    dm = fixture("message_im")
    assert to_inbound(dm, dm["event"], Route.DM, BOT_USER, "Ada").thread == ""
    assert clean_text("<!here> please", BOT_USER) == "@here please"


def test_usage_command_text():
    assert parse_command_text("7d <@U0ADA0001|ada>").user_id == "U0ADA0001"
    assert parse_command_text("7d <@U0ADA0001|ada>").text == "7d"
    assert parse_command_text("").user_id is None
    assert "@bob" in parse_command_text("@bob").problem
    assert parse_command_text("<@U1> <@U2>").problem


def test_a_first_socket_mode_delivery_is_not_a_retry():
    from adapters.slack.translate import is_retry

    assert not is_retry({"x-slack-retry-num": ["0"]})  # Socket Mode's retry_attempt 0
    assert not is_retry({})
    assert is_retry({"x-slack-retry-num": ["1"]}) and is_retry({"x-slack-retry-num": "2"})
