"""Input checks that run before any model call. Verdicts are values, not exceptions."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_MESSAGE_CHARS = 10_000
# The 50,000-character total is kept by trimming the history (bot/history.py): the history
# is built by the server, so it is never refused, only shortened from its oldest end.

# Mention markup: a message of nothing else is an empty mention. Mentions of other people
# stay in the text ("tell <@U2> ..."); adapters strip the bot's own.
_MENTIONS = re.compile(r"<@[!&]?[A-Za-z0-9]+>")


@dataclass(frozen=True, slots=True)
class Verdict:
    """``allowed`` or not; ``reason`` is what the user is told; ``help`` for an empty mention."""

    allowed: bool
    reason: str = ""
    text: str = ""
    help: bool = False


def validate_message(text: object) -> Verdict:
    """A single message: a non-empty string of at most 10,000 characters."""
    if not isinstance(text, str):
        return Verdict(False, "message must be a non-empty string")
    cleaned = text.strip()
    if not _MENTIONS.sub("", cleaned).strip():  # nothing but mentions: "@bot" alone
        return Verdict(False, "message must be a non-empty string", help=True)
    if len(cleaned) > MAX_MESSAGE_CHARS:
        return Verdict(
            False,
            f"Your message is {len(cleaned):,} characters long, and the limit is "
            f"{MAX_MESSAGE_CHARS:,}. Please shorten it (message exceeds 10,000 character limit).",
        )
    return Verdict(True, text=cleaned)
