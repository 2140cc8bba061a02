"""Turning an SDK exception into a :class:`ProviderError`, by status code.

Both SDKs are generated from the same template: status errors carry ``status_code``,
``response.headers`` and ``body``; connection failures and timeouts have their own
classes. Mapping by status (not by class) keeps Anthropic's 529 right whichever class the
installed SDK gives it.
"""

from __future__ import annotations

import re
from typing import Any

from bot.llm.types import ErrorKind, ProviderError

DEFAULT_RETRY_AFTER_S = 10.0
_SECRETS = re.compile(r"(sk-[A-Za-z0-9_\-]{6,}|Bearer\s+\S+|key[-_][A-Za-z0-9]{6,})", re.I)


def kind_for_status(status: int) -> ErrorKind:
    """The error-table row for an HTTP status."""
    if status in (401, 403):
        return ErrorKind.CONFIGURATION
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status == 408:
        return ErrorKind.TIMEOUT
    if status >= 500:
        return ErrorKind.UNAVAILABLE
    return ErrorKind.BAD_REQUEST


def retry_after_seconds(headers: Any) -> float | None:
    """``retry-after-ms`` or ``retry-after`` (seconds) from response headers."""
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
    return None


def safe_detail(exc: Exception) -> str:
    """A short, key-free message from the provider's error body, fit to show a user."""
    body = getattr(exc, "body", None)
    message = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message", "") if isinstance(inner, dict) else str(inner)
    if not message:
        message = getattr(exc, "message", "") or ""
    message = _SECRETS.sub("[redacted]", str(message)).strip()
    return message[:200]


def _stream_error_status(exc: Exception) -> int:
    """A mid-stream error event has no HTTP status; read its type instead."""
    body = getattr(exc, "body", None)
    kind = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        kind = str(inner.get("type", "") if isinstance(inner, dict) else "")
    return {
        "rate_limit_error": 429,
        "rate_limit_exceeded": 429,
        "overloaded_error": 529,
        "authentication_error": 401,
        "permission_error": 403,
        "invalid_request_error": 400,
    }.get(kind, 500)


def map_sdk_error(
    exc: Exception, timeout_types: tuple[type, ...], connection_types: tuple[type, ...]
) -> ProviderError:
    """The typed error for an SDK exception (``*_types`` are that SDK's classes)."""
    if isinstance(exc, timeout_types):
        return ProviderError(ErrorKind.TIMEOUT, "the model did not answer in time")
    if isinstance(exc, connection_types):
        return ProviderError(ErrorKind.UNAVAILABLE, "could not reach the model service")
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if status is None or (response is not None and status < 400):
        status = _stream_error_status(exc)
    kind = kind_for_status(int(status))
    retry_after = None
    if kind is ErrorKind.RATE_LIMITED:
        headers = getattr(response, "headers", None) if status == getattr(exc, "status_code", 0) else None
        retry_after = retry_after_seconds(headers) or DEFAULT_RETRY_AFTER_S
    return ProviderError(kind, safe_detail(exc), retry_after_s=retry_after, status=int(status))
