"""The provider-neutral conversation, request and stream event types."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bot.usage import TokenUsage


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for; ``arguments`` is the model's raw JSON text."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message: ``user``, ``assistant`` (maybe with tool calls) or ``tool`` (a result)."""

    role: str
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def size(self) -> int:
        """Characters this message counts against the history budget."""
        return len(self.content) + sum(len(c.name) + len(c.arguments) for c in self.tool_calls)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the model sees it: name, description, JSON schema of the arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """Everything one model call needs.

    ``deadline`` is the turn's deadline in event-loop time (``loop.time()``); providers use
    it to skip an SDK retry whose server-requested wait could not end before it.
    """

    model: str
    system: str
    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSpec, ...] = ()
    max_output_tokens: int = 1024
    user: str = ""
    deadline: float | None = None

    def opaque_user(self) -> str:
        """A stable hash of ``user`` for the provider's abuse tracking (no raw chat ids)."""
        return hashlib.sha256(self.user.encode()).hexdigest()[:32] if self.user else ""


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Text as the model writes it."""

    text: str


@dataclass(frozen=True, slots=True)
class Completed:
    """The end of one call: its tool calls, usage and the model that answered."""

    tool_calls: tuple[ToolCall, ...]
    usage: TokenUsage
    model: str
    stop_reason: str = ""


StreamEvent = TextChunk | Completed


class ErrorKind(StrEnum):
    """The provider failures the core tells apart (the production error table)."""

    CONFIGURATION = "configuration"  # 401 / 403
    RATE_LIMITED = "rate_limited"  # 429
    BAD_REQUEST = "bad_request"  # 400 and other 4xx
    UNAVAILABLE = "unavailable"  # >= 500, 529, connection failures
    TIMEOUT = "timeout"  # the turn's deadline passed


class ProviderError(Exception):
    """A typed provider failure; ``detail`` is safe to show (no keys, no raw bodies)."""

    def __init__(
        self, kind: ErrorKind, detail: str = "", retry_after_s: float | None = None, status: int = 0
    ) -> None:
        super().__init__(f"{kind}: {detail}" if detail else str(kind))
        self.kind = kind
        self.detail = detail
        self.retry_after_s = retry_after_s
        self.status = status


class Provider(Protocol):
    """A model provider: a request in, text chunks and one :class:`Completed` out.

    Failures raise :class:`ProviderError`, also when they arrive in the middle of a stream.
    """

    name: str

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]: ...

    async def aclose(self) -> None: ...
