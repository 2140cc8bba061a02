"""Turning an SDK exception into a :class:`ProviderError` by status code, and the one
rule this project adds to the SDKs' own retries.

Both SDKs are generated from the same template: status errors carry ``status_code``,
``response.headers`` and ``body``; connection failures and timeouts have their own
classes. Mapping by status (not by class) keeps Anthropic's 529 right whichever class the
installed SDK gives it. Errors that arrive as stream events carry no HTTP status (or the
stream's 200), so their ``error.type`` stands in for it.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from bot.llm.types import ErrorKind, ProviderError

log = logging.getLogger("supportbot")
DEFAULT_RETRY_AFTER_S = 10.0
_SECRETS = re.compile(r"(sk-[A-Za-z0-9_\-]{6,}|Bearer\s+\S+|key[-_][A-Za-z0-9]{6,})", re.I)
# A provider's 400 message that names parts of our request (message indexes, tool ids,
# schemas, the system prompt) is about our internals, not the user's message.
_INTERNALS = re.compile(
    r"messages?(\.\d|\[)|tools?(\.\d|\[)|tool_use|tool_result|tool_call|input_schema|"
    r"system[ _]prompt|\bsystem(\.\w|:)|[`'\"]system[`'\"]|request[_ ]id|req_\w{6,}|"
    r"toolu_|call_\w{6,}|https?://|[{}<>]",
    re.I,
)
_STREAM_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "api_error": 500,
    "server_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
# Out of credit: OpenAI says so with a 429, but no waiting cures it; it is the operator's.
_BILLING_TYPES = {"insufficient_quota", "billing_error"}
_deadline: ContextVar[float | None] = ContextVar("supportbot_llm_deadline", default=None)


def kind_for_status(status: int) -> ErrorKind:
    """The error-table row for an HTTP status."""
    if status in (401, 402, 403, 404):  # key, billing, permission, model or URL: the operator's
        return ErrorKind.CONFIGURATION
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status == 408:
        return ErrorKind.TIMEOUT
    if status >= 500 or status == 409:
        return ErrorKind.UNAVAILABLE
    return ErrorKind.BAD_REQUEST


def retry_after_seconds(headers: Any) -> float | None:
    """``retry-after-ms``, or ``retry-after`` (seconds or an HTTP date), from headers."""
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(float(value) / divisor, 0.0)
        except ValueError:
            continue
    moment = email.utils.parsedate_tz(headers.get("retry-after") or "")
    if moment is None:
        return None
    return max(email.utils.mktime_tz(moment) - time.time(), 0.0)


def _error_fields(exc: Exception) -> tuple[str, str]:
    """``(type, message)`` from a JSON error body; nothing from a non-JSON one."""
    body = getattr(exc, "body", None)
    if not isinstance(body, dict):
        return "", ""  # an HTML page or plain text from a proxy: never shown
    inner = body.get("error", body)
    if not isinstance(inner, dict):
        return "", ""
    return str(inner.get("type") or inner.get("code") or ""), str(inner.get("message") or "")


def redact(text: str) -> str:
    """``text`` without anything that looks like a key or bearer token."""
    return _SECRETS.sub("[redacted]", text)


def safe_detail(exc: Exception) -> str:
    """A short, key-free message from the provider's error body, fit to show a user."""
    message = " ".join(redact(_error_fields(exc)[1]).split())
    if not message or _INTERNALS.search(message):
        return ""
    return message[:200]


def _stream_error_status(exc: Exception) -> int:
    """A mid-stream error event has no HTTP status; read its type instead."""
    return _STREAM_ERROR_STATUS.get(_error_fields(exc)[0], 500)


def _timed_out(exc: BaseException) -> bool:
    """Whether a "timeout" really is one: the aiohttp transport reports a refused
    connection as a connect timeout, with no ``TimeoutError`` behind it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, TimeoutError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def map_sdk_error(
    exc: Exception,
    timeout_types: tuple[type, ...],
    connection_types: tuple[type, ...],
    provider: str = "",
) -> ProviderError:
    """The typed error for an SDK exception (``*_types`` are that SDK's classes).

    The provider's own words go to the log (keys redacted); the chat gets ``detail``.
    """
    if isinstance(exc, timeout_types) and _timed_out(exc):
        log.warning("%s: no answer in time (%s)", provider, type(exc).__name__)
        return ProviderError(ErrorKind.TIMEOUT, "the model did not answer in time")
    if isinstance(exc, connection_types):
        log.warning("%s: connection failed (%s)", provider, type(exc).__name__)
        return ProviderError(ErrorKind.UNAVAILABLE, "could not reach the model service")
    http_status = getattr(exc, "status_code", None)
    mid_stream = not isinstance(http_status, int) or http_status < 400
    status = _stream_error_status(exc) if mid_stream else int(http_status)
    error_type, message = _error_fields(exc)
    if error_type in _BILLING_TYPES:
        status = 402
    kind = kind_for_status(status)
    # A bad key is logged once, by the notice (bot/notices.py), not on every message.
    level = logging.DEBUG if kind is ErrorKind.CONFIGURATION else logging.WARNING
    log.log(
        level,
        "%s answered %s %s (%s): %s",
        provider,
        "an error event," if mid_stream else "HTTP",
        status,
        error_type or "no type",
        redact(message)[:500] or "no message",
    )
    retry_after = None
    if kind is ErrorKind.RATE_LIMITED:
        headers = None if mid_stream else getattr(getattr(exc, "response", None), "headers", None)
        retry_after = retry_after_seconds(headers) or DEFAULT_RETRY_AFTER_S
    detail = safe_detail(exc) if kind is ErrorKind.BAD_REQUEST else ""
    return ProviderError(kind, detail, retry_after_s=retry_after, status=status)


# ---- retries ------------------------------------------------------------------------


@contextmanager
def turn_deadline(deadline: float | None) -> Iterator[None]:
    """Let :func:`refuse_retries_past_deadline` see the turn's deadline (loop time)."""
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


async def refuse_retries_past_deadline(response: Any) -> None:
    """An httpx response hook: when the server asks for a wait that outlasts the turn's
    deadline, mark the response not retryable (``x-should-retry: false``, which both SDKs
    obey), so the user hears "busy, try again in N seconds" now instead of a time-out later.
    The SDKs' own retries (count, backoff, ``retry-after``) stay as they are."""
    deadline = _deadline.get()
    if deadline is None or response.status_code < 400:
        return
    wait = retry_after_seconds(response.headers)
    if wait is not None and asyncio.get_running_loop().time() + wait >= deadline:
        response.headers["x-should-retry"] = "false"


def http_hooks() -> dict[str, list]:
    """Event hooks for the SDKs' HTTP client (``DefaultAsyncHttpxClient(event_hooks=...)``)."""
    return {"response": [refuse_retries_past_deadline]}
