"""OpenAI over the official SDK, Chat Completions with streaming.

Chat Completions rather than the Responses API: it is what every OpenAI-compatible server
(vLLM, llama.cpp, Ollama, LiteLLM) speaks, so ``OPENAI_BASE_URL`` can point anywhere, and the
bot keeps its own history in its database, so the Responses API's server-side state buys
nothing here.

HTTP goes through the SDK's aiohttp transport (``DefaultAioHttpClient``): with hundreds of
streams open at once, httpx's pool rescans every connection for each request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai

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


def to_openai_messages(system: str, messages: tuple[ChatMessage, ...]) -> list[dict]:
    """The core's messages in Chat Completions form."""
    wire: list[dict] = [{"role": "system", "content": system}]
    for message in messages:
        if message.role == "tool":
            wire.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
            )
        elif message.role == "assistant" and message.tool_calls:
            wire.append(
                {
                    "role": "assistant",
                    "content": message.content or None,
                    "tool_calls": [
                        {
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": call.arguments},
                        }
                        for call in message.tool_calls
                    ],
                }
            )
        else:
            wire.append({"role": message.role, "content": message.content})
    return wire


def to_openai_tools(request: ModelRequest) -> list[dict]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in request.tools
    ]


def usage_from_openai(usage: object | None) -> TokenUsage:
    """OpenAI's ``prompt_tokens`` already include cached tokens."""
    if usage is None:
        return TokenUsage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", 0) or 0
    return TokenUsage(
        input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        output_tokens=getattr(usage, "completion_tokens", 0) or 0,
        cache_read_tokens=cached,
    )


class OpenAIProvider:
    """The OpenAI Chat Completions API (or any server that speaks it)."""

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout_s: float,
        max_retries: int,
        streaming: bool = True,
    ) -> None:
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed-for-local-servers",
            base_url=base_url,
            timeout=timeout_s,
            max_retries=max_retries,
            http_client=openai.DefaultAioHttpClient(event_hooks=http_hooks()),
        )
        self._streaming = streaming

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
        except openai.APIError as exc:
            raise map_sdk_error(
                exc, (openai.APITimeoutError,), (openai.APIConnectionError,), self.name
            ) from exc

    def _arguments(self, request: ModelRequest) -> dict:
        arguments: dict = {
            "model": request.model,
            "messages": to_openai_messages(request.system, request.messages),
            "max_completion_tokens": request.max_output_tokens,
        }
        if request.tools:
            arguments["tools"] = to_openai_tools(request)
        if request.user:
            arguments["safety_identifier"] = request.opaque_user()
        return prebuilt(arguments)

    async def _complete(self, request: ModelRequest) -> list[StreamEvent]:
        with turn_deadline(request.deadline):
            response = await self._client.chat.completions.create(**self._arguments(request))
        if not response.choices:
            raise ProviderError(ErrorKind.UNAVAILABLE, "the answer was empty")
        choice = response.choices[0]
        calls = tuple(
            ToolCall(call.id, call.function.name, call.function.arguments or "{}")
            for call in (choice.message.tool_calls or [])
            if call.type == "function"
        )
        events: list[StreamEvent] = []
        if choice.message.content:
            events.append(TextChunk(choice.message.content))
        events.append(
            Completed(
                tool_calls=calls,
                usage=usage_from_openai(response.usage),
                model=response.model or request.model,
                stop_reason=choice.finish_reason or "",
            )
        )
        return events

    async def _stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        with turn_deadline(request.deadline):
            stream = await self._client.chat.completions.create(
                **self._arguments(request), stream=True, stream_options={"include_usage": True}
            )
        calls: dict[int, dict[str, str]] = {}
        usage = None
        model = request.model
        finish = ""
        async with stream:
            async for chunk in stream:
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    finish = choice.finish_reason or finish
                    delta = choice.delta
                    if delta.content:
                        yield TextChunk(delta.content)
                    for part in delta.tool_calls or []:
                        call = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                        call["id"] = part.id or call["id"]
                        if part.function is not None:
                            call["name"] += part.function.name or ""
                            call["arguments"] += part.function.arguments or ""
        if not finish:
            raise ProviderError(ErrorKind.UNAVAILABLE, "the answer was cut off")
        yield Completed(
            tool_calls=tuple(
                ToolCall(call["id"], call["name"], call["arguments"] or "{}")
                for _, call in sorted(calls.items())
            ),
            usage=usage_from_openai(usage),
            model=model,
            stop_reason=finish,
        )
