"""Anthropic Messages over the official SDK, streaming and not.

The core's neutral history becomes Messages form here: assistant tool calls are
``tool_use`` blocks, tool results are ``tool_result`` blocks in a user message, and
consecutive same-role messages are merged, because the API wants user and assistant turns
to alternate. Importing ``anthropic`` takes a while, so :mod:`bot.llm.factory` imports this
module only when the provider is used. HTTP goes through the SDK's aiohttp transport, as for
OpenAI (see :mod:`bot.llm.openai_provider`).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anthropic

from bot.llm.errors import http_hooks, map_sdk_error, turn_deadline
from bot.llm.prebuilt import prebuilt
from bot.llm.types import (
    ChatMessage,
    Completed,
    ErrorKind,
    ModelRequest,
    ProviderError,
    StreamEvent,
    TextChunk,
    ToolCall,
)
from bot.usage import TokenUsage

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
NO_KEY_PLACEHOLDER = "not-needed-for-local-servers"


def tool_use_id(call_id: str) -> str:
    """An id Anthropic accepts (``^[a-zA-Z0-9_-]+$``), also for ids another provider made."""
    return _ID_UNSAFE.sub("_", call_id)[:64] or "tool_call"


def _tool_input(arguments: str) -> dict:
    """``tool_use.input`` must be an object; arguments the model botched become ``{}``."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _blocks(message: ChatMessage) -> list[dict]:
    if message.role == "tool":
        return [
            {
                "type": "tool_result",
                "tool_use_id": tool_use_id(message.tool_call_id or ""),
                "content": message.content,
            }
        ]
    blocks: list[dict] = [{"type": "text", "text": message.content}] if message.content else []
    for call in message.tool_calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": tool_use_id(call.id),
                "name": call.name,
                "input": _tool_input(call.arguments),
            }
        )
    return blocks


def to_anthropic_messages(messages: tuple[ChatMessage, ...] | list[ChatMessage]) -> list[dict]:
    """The core's messages in Messages form, user and assistant strictly alternating."""
    wire: list[dict] = []
    for message in messages:
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if not blocks:  # an empty text block is refused; an empty turn says nothing
            continue
        if wire and wire[-1]["role"] == role:
            wire[-1]["content"].extend(blocks)
        else:
            wire.append({"role": role, "content": blocks})
    return wire


_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


def _usage_counts(usage: object | None) -> dict[str, int]:
    return {name: v for name in _USAGE_FIELDS if (v := getattr(usage, name, None)) is not None}


def token_usage(counts: dict[str, int]) -> TokenUsage:
    """Anthropic's ``input_tokens`` exclude cache reads and writes; the total includes them."""
    read = counts.get("cache_read_input_tokens", 0)
    written = counts.get("cache_creation_input_tokens", 0)
    return TokenUsage(
        input_tokens=counts.get("input_tokens", 0) + read + written,
        output_tokens=counts.get("output_tokens", 0),
        cache_read_tokens=read,
        cache_write_tokens=written,
    )


@dataclass
class _StreamedMessage:
    """What a streamed answer has said so far."""

    model: str
    usage: dict[str, int] = field(default_factory=dict)
    calls: dict[int, dict[str, str]] = field(default_factory=dict)
    stop_reason: str = ""
    stopped: bool = False

    def apply(self, event: Any) -> str:
        """Fold one stream event in; returns the text it adds (often none)."""
        kind = event.type
        if kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta":
                return delta.text
            if delta.type == "input_json_delta" and event.index in self.calls:
                self.calls[event.index]["json"] += delta.partial_json
        elif kind == "content_block_start" and event.content_block.type == "tool_use":
            block = event.content_block
            start = json.dumps(block.input) if block.input else ""
            self.calls[event.index] = {
                "id": block.id,
                "name": block.name,
                "json": "",
                "start": start,
            }
        elif kind == "message_start":
            self.model = event.message.model or self.model
            self.usage.update(_usage_counts(event.message.usage))  # the input side
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            self.usage.update(_usage_counts(event.usage))  # cumulative counts
        elif kind == "message_stop":
            self.stopped = True
        return ""

    def completed(self) -> Completed:
        return Completed(
            tool_calls=tuple(
                ToolCall(call["id"], call["name"], call["json"] or call["start"] or "{}")
                for _, call in sorted(self.calls.items())
            ),
            usage=token_usage(self.usage),
            model=self.model,
            stop_reason=self.stop_reason,
        )


class AnthropicProvider:
    """The Anthropic Messages API."""

    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout_s: float,
        max_retries: int,
        streaming: bool = True,
    ) -> None:
        self._client = self._make_client(api_key, base_url, timeout_s, max_retries)
        self._streaming = streaming

    @staticmethod
    def _make_client(
        api_key: str | None, base_url: str | None, timeout_s: float, max_retries: int
    ) -> anthropic.AsyncAnthropic:
        options = {
            "base_url": base_url,
            "timeout": timeout_s,
            "max_retries": max_retries,
            "http_client": anthropic.DefaultAioHttpClient(event_hooks=http_hooks()),
        }
        # No key given: the SDK's own lookup (ANTHROPIC_AUTH_TOKEN, profiles) may find one.
        client = anthropic.AsyncAnthropic(api_key=api_key, **options)
        if client.api_key is None and client.auth_token is None and client.credentials is None:
            # Nothing anywhere: a placeholder makes the API answer 401, which the user hears
            # as a configuration error, like a wrong key (the SDK would raise TypeError).
            client = anthropic.AsyncAnthropic(api_key=NO_KEY_PLACEHOLDER, **options)
        return client

    async def aclose(self) -> None:
        await self._client.close()

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Text as it arrives, then one :class:`Completed`; failures as ProviderError."""
        try:
            if self._streaming:
                async for event in self._stream(request):
                    yield event
            else:
                for event in await self._complete(request):
                    yield event
        except anthropic.CredentialsError as exc:
            raise ProviderError(ErrorKind.CONFIGURATION, status=401) from exc
        except anthropic.APIError as exc:
            raise map_sdk_error(
                exc, (anthropic.APITimeoutError,), (anthropic.APIConnectionError,), self.name
            ) from exc

    def _arguments(self, request: ModelRequest) -> dict:
        arguments: dict = {
            "model": request.model,
            "max_tokens": request.max_output_tokens,
            "messages": to_anthropic_messages(request.messages),
        }
        if request.system:
            arguments["system"] = request.system
        if request.tools:
            arguments["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in request.tools
            ]
        if request.user:
            arguments["metadata"] = {"user_id": request.opaque_user()}
        return prebuilt(arguments)

    async def _complete(self, request: ModelRequest) -> list[StreamEvent]:
        with turn_deadline(request.deadline):
            message = await self._client.messages.create(**self._arguments(request))
        text = "".join(block.text for block in message.content if block.type == "text")
        calls = tuple(
            ToolCall(block.id, block.name, json.dumps(block.input))
            for block in message.content
            if block.type == "tool_use"
        )
        events: list[StreamEvent] = [TextChunk(text)] if text else []
        events.append(
            Completed(
                tool_calls=calls,
                usage=token_usage(_usage_counts(message.usage)),
                model=message.model or request.model,
                stop_reason=message.stop_reason or "",
            )
        )
        return events

    async def _stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        with turn_deadline(request.deadline):
            stream = await self._client.messages.create(**self._arguments(request), stream=True)
        state = _StreamedMessage(model=request.model)
        async with stream:
            async for event in stream:
                if text := state.apply(event):
                    yield TextChunk(text)
        if not state.stopped:
            raise ProviderError(ErrorKind.UNAVAILABLE, "the answer was cut off")
        yield state.completed()
