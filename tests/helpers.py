"""Small builders shared by the tests."""

from __future__ import annotations

import itertools

from bot.inbound import Actor, InboundMessage
from bot.outcomes import ConfirmationRequest, Notice, Reply

_events = itertools.count(1)


def inbound(
    text: str,
    user: str = "U1",
    *,
    platform: str = "slack",
    channel: str = "C1",
    thread: str = "T1",
    name: str = "Ada",
    event_id: str | None = None,
) -> InboundMessage:
    return InboundMessage(
        platform=platform,
        workspace="W1",
        channel=channel,
        thread=thread,
        user_id=user,
        display_name=name,
        text=text,
        is_dm=False,
        event_id=event_id if event_id is not None else f"Ev{next(_events)}",
    )


def actor(user: str = "U1", platform: str = "slack", name: str = "Ada") -> Actor:
    return Actor(platform, user, name)


def only(outcomes: list, kind: type):  # noqa: ANN201
    found = [o for o in outcomes if isinstance(o, kind)]
    assert len(found) == 1, outcomes
    return found[0]


def reply_text(outcomes: list) -> str:
    return only(outcomes, Reply).text


def confirmation(outcomes: list) -> ConfirmationRequest:
    return only(outcomes, ConfirmationRequest)


def notice(outcomes: list) -> Notice:
    return only(outcomes, Notice)


async def collect(events) -> list:  # noqa: ANN001
    return [event async for event in events]
