"""Slack events -> :class:`InboundMessage`: which events to answer, and the text the user meant."""

from __future__ import annotations

import html
import re
from enum import StrEnum

from bot.inbound import InboundMessage

PLATFORM = "slack"
# Message subtypes that are still a person writing to us; every other subtype (edits,
# deletions, joins, bot messages, channel topic changes...) is ignored.
ANSWERED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})

_CHANNEL_REF = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_LABELLED_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)>")
_SPECIAL = re.compile(r"<!([a-z]+)[^>|]*(?:\|([^>]*))?>")


class Route(StrEnum):
    """How an event reaches the bot, if at all."""

    MENTION = "mention"  # @bot in a channel: answer in a thread under it
    DM = "dm"  # a direct message: answer in the DM (or its thread)
    THREAD = "thread"  # a reply in a channel thread: answer if the bot takes part in it
    IGNORE = "ignore"


def route(event: dict, bot_user_id: str | None) -> Route:
    """Decide from the event alone (no I/O: this runs before the ack)."""
    user = event.get("user")
    if (
        event.get("bot_id")
        or event.get("hidden")
        or event.get("subtype") not in ANSWERED_SUBTYPES
        or not user
        or user == bot_user_id
        or not (event.get("text") or "").strip()
    ):
        return Route.IGNORE
    if event.get("type") == "app_mention":
        # DMs arrive as message.im; answering the app_mention too would answer twice.
        return Route.IGNORE if str(event.get("channel", "")).startswith("D") else Route.MENTION
    if event.get("type") != "message":
        return Route.IGNORE
    if event.get("channel_type") == "im":
        return Route.DM
    if bot_user_id and f"<@{bot_user_id}>" in event.get("text", ""):
        return Route.IGNORE  # the app_mention event for this message is answered instead
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != event.get("ts"):
        return Route.THREAD
    return Route.IGNORE


def clean_text(text: str, bot_user_id: str | None) -> str:
    """Slack's markup as the user saw it: no bot mention, readable links, unescaped."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", "", text)
    text = _CHANNEL_REF.sub(r"#\1", text)
    text = _LABELLED_LINK.sub(r"\2 (\1)", text)
    text = _BARE_LINK.sub(r"\1", text)
    text = _SPECIAL.sub(lambda m: m.group(2) or f"@{m.group(1)}", text)
    return html.unescape(text).strip()


def to_inbound(
    body: dict, event: dict, kind: Route, bot_user_id: str | None, display_name: str
) -> InboundMessage:
    """The platform-free message for the core; ``event_id`` is Slack's, so retries dedupe."""
    is_dm = kind is Route.DM
    thread = event.get("thread_ts") or ("" if is_dm else event["ts"])
    return InboundMessage(
        platform=PLATFORM,
        workspace=body.get("team_id") or event.get("team") or "",
        channel=event["channel"],
        thread=thread,
        user_id=event["user"],
        display_name=display_name,
        text=clean_text(event.get("text", ""), bot_user_id),
        is_dm=is_dm,
        event_id=body.get("event_id") or f"{event['channel']}:{event['ts']}",
        raw=event,
    )


def is_retry(headers: dict) -> bool:
    """Whether Slack says this is a redelivery (HTTP header; Bolt maps Socket Mode's too)."""
    value = headers.get("x-slack-retry-num") or "0"
    if isinstance(value, list | tuple):  # Bolt keeps headers as lists
        value = value[0] if value else "0"
    try:
        return int(value) > 0  # Socket Mode's first delivery carries retry_attempt 0
    except ValueError:
        return True
