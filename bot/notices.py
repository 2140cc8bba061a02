"""The words users see when the core refuses or fails (CONTRACT.md's messages)."""

from __future__ import annotations

import logging
import math

from bot.llm.types import ErrorKind, ProviderError
from bot.outcomes import Notice, NoticeKind

log = logging.getLogger("supportbot")


def help_notice(company: str) -> Notice:
    return Notice(
        NoticeKind.HELP,
        f"Hi! I'm {company}'s support assistant. Ask me about your orders or your account, "
        'for example "Where is my latest order?", or tell me what isn\'t working.',
    )


_CONFIGURATION_HINTS = {
    402: "check the account's billing",
    404: "check the model name (LLM_MODEL) and the base URL",
}


def provider_notice(error: ProviderError, provider: str, logged: set[str]) -> Notice:
    """The chat message for a provider failure; nothing internal leaks into it.

    A configuration error is logged once per provider (``logged`` remembers which), not once
    per message."""
    if error.kind is ErrorKind.CONFIGURATION:
        if provider not in logged:
            logged.add(provider)
            log.error(
                "configuration error from %s (HTTP %s): %s",
                provider,
                error.status or "?",
                _CONFIGURATION_HINTS.get(error.status, "check the API key and its permissions"),
            )
        return Notice(
            NoticeKind.PROVIDER_ERROR,
            "Service configuration error. The team has been notified; please try again later.",
        )
    if error.kind is ErrorKind.RATE_LIMITED:
        wait = max(1, math.ceil(error.retry_after_s or 10))
        return Notice(
            NoticeKind.PROVIDER_ERROR,
            f"Service is busy. Please try again in {wait} second{'s' if wait != 1 else ''}.",
            retry_after_s=wait,
        )
    if error.kind is ErrorKind.BAD_REQUEST:
        detail = error.detail or "the AI service could not process this message"
        return Notice(NoticeKind.PROVIDER_ERROR, f"Invalid request: {detail}")
    if error.kind is ErrorKind.TIMEOUT:
        return Notice(
            NoticeKind.PROVIDER_ERROR,
            "The request timed out. Please try again in a moment.",
            retry_after_s=5,
        )
    return Notice(
        NoticeKind.PROVIDER_ERROR,
        "AI service temporarily unavailable. Please try again in a minute.",
        retry_after_s=60,
    )
