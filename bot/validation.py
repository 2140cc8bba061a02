"""Input checks that run before any model call. Verdicts are values, not exceptions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_MESSAGE_CHARS = 10_000
MAX_TOTAL_CHARS = 50_000
ALLOWED_ROLES = ("user", "assistant")

# Mention markup that may be left in a message the adapter did not strip.
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
    cleaned = _MENTIONS.sub("", text).strip()
    if not cleaned:
        return Verdict(False, "message must be a non-empty string", help=True)
    if len(cleaned) > MAX_MESSAGE_CHARS:
        return Verdict(
            False,
            f"Your message is {len(cleaned):,} characters long, and the limit is "
            f"{MAX_MESSAGE_CHARS:,}. Please shorten it (message exceeds 10,000 character limit).",
        )
    return Verdict(True, text=cleaned)


def validate_message_list(messages: Sequence[object]) -> Verdict:
    """A message list (the digest's API shape): roles, content type and the 50,000 total."""
    if not isinstance(messages, Sequence) or isinstance(messages, str) or not messages:
        return Verdict(False, "messages must be a non-empty list")
    total = 0
    for message in messages:
        if not isinstance(message, dict):
            return Verdict(False, "each message must be an object with role and content")
        if message.get("role") not in ALLOWED_ROLES:
            return Verdict(False, "message role must be 'user' or 'assistant'")
        content = message.get("content")
        if not isinstance(content, str):
            return Verdict(False, "message content must be a string")
        total += len(content)
    if total > MAX_TOTAL_CHARS:
        return Verdict(False, "Total input exceeds 50,000 character limit")
    return Verdict(True)
