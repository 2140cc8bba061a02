"""The two wire formats the fake model speaks: OpenAI Chat Completions and Anthropic
Messages, each as a whole JSON reply or as server-sent events.

Everything here is pure: an :class:`Answer` in, JSON bodies or ``(frame, is_text)`` pairs
out. :mod:`fake_llm` decides what to answer and writes the frames.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Frames = Iterator[tuple[str, bool]]  # (SSE payload, carries text)


@dataclass
class Answer:
    """What the fake says, provider-neutral. ``error`` ends a stream early (mid-stream fault)."""

    model: str
    pieces: list[str]
    calls: list[tuple[str, dict]] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    error: dict | None = None  # {"type": ..., "message": ...}
    dropped: bool = False  # the stream just ends after the text

    @property
    def text(self) -> str:
        return "".join(self.pieces)


# ---- OpenAI Chat Completions --------------------------------------------------------


def openai_neutral(body: dict) -> list[dict]:
    """The request's messages as ``{"role", "content"}`` (the rules read these)."""
    return [
        {"role": m["role"], "content": m.get("content") or ""}
        for m in body.get("messages", [])
        if m["role"] != "system"
    ]


def openai_problem(body: dict) -> str | None:
    """What the real API would refuse in the history (tool calls and results unpaired)."""
    waiting: set[str] = set()
    for number, message in enumerate(body.get("messages", [])):
        if message["role"] == "tool":
            if message.get("tool_call_id") not in waiting:
                return (
                    f"Invalid parameter: messages with role 'tool' must be a response to a "
                    f"preceeding message with 'tool_calls' (messages[{number}])."
                )
            waiting.discard(message["tool_call_id"])
            continue
        if waiting:
            return (
                "An assistant message with 'tool_calls' must be followed by tool messages "
                f"responding to each 'tool_call_id'. Missing: {sorted(waiting)}"
            )
        if message["role"] == "assistant":
            waiting = {call["id"] for call in message.get("tool_calls") or []}
    return None


def openai_error(error_type: str, message: str) -> dict:
    return {"error": {"message": message, "type": error_type, "code": None}}


def _openai_calls(answer: Answer) -> list[dict]:
    return [
        {
            "id": f"call_{uuid.uuid4().hex[:12]}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        for name, arguments in answer.calls
    ]


def _openai_usage(answer: Answer) -> dict:
    return {
        "prompt_tokens": answer.input_tokens,  # includes the cached tokens
        "completion_tokens": answer.output_tokens,
        "total_tokens": answer.input_tokens + answer.output_tokens,
        "prompt_tokens_details": {"cached_tokens": answer.cached_tokens},
    }


def openai_completion(answer: Answer) -> dict:
    calls = _openai_calls(answer)
    message: dict[str, Any] = {"role": "assistant", "content": answer.text or None}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion",
        "created": 0,
        "model": answer.model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}
        ],
        "usage": _openai_usage(answer),
    }


def openai_frames(answer: Answer) -> Frames:
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:16]}"

    def chunk(delta: dict | None, finish: str | None = None, **extra: Any) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": 0,
            "model": answer.model,
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(body)}\n\n"

    yield chunk({"role": "assistant", "content": ""}), False
    for piece in answer.pieces:
        yield chunk({"content": piece}), True
    if answer.dropped:
        return
    if answer.error is not None:
        yield f"data: {json.dumps({'error': answer.error})}\n\n", False
        yield "data: [DONE]\n\n", False
        return
    calls = _openai_calls(answer)
    for index, call in enumerate(calls):
        opening = {**call, "index": index, "function": {**call["function"], "arguments": ""}}
        yield chunk({"tool_calls": [opening]}), False
        arguments = {"index": index, "function": {"arguments": call["function"]["arguments"]}}
        yield chunk({"tool_calls": [arguments]}), False
    yield chunk({}, "tool_calls" if calls else "stop"), False
    yield chunk(None, usage=_openai_usage(answer)), False
    yield "data: [DONE]\n\n", False


# ---- Anthropic Messages -------------------------------------------------------------


def anthropic_neutral(body: dict) -> list[dict]:
    """Text and tool-result blocks as ``{"role", "content"}`` (the rules read these)."""
    neutral = []
    for message in body.get("messages", []):
        content = message["content"]
        if isinstance(content, str):
            neutral.append({"role": message["role"], "content": content})
            continue
        for block in content:
            if block.get("type") == "tool_result":
                inner = block.get("content")
                if not isinstance(inner, str):
                    inner = "".join(b.get("text", "") for b in inner or [])
                neutral.append({"role": "tool", "content": inner})
            elif block.get("type") == "text":
                neutral.append({"role": message["role"], "content": block["text"]})
    return neutral


def anthropic_problem(body: dict) -> str | None:
    """What the real API would refuse: a first turn that is not the user's, turns that do
    not alternate, a tool_use not answered by tool_result blocks first thing in the next
    user turn, or an empty text block."""
    messages = body.get("messages", [])
    if messages and messages[0]["role"] != "user":
        return 'messages: first message must use the "user" role'
    for number, (before, message) in enumerate(zip(messages, messages[1:], strict=False), 1):
        if before["role"] == message["role"]:
            return f'messages.{number}: roles must alternate between "user" and "assistant"'
    uses: list[str] = []
    for number, message in enumerate(messages):
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if any(b.get("type") == "text" and not b.get("text") for b in blocks):
            return f"messages.{number}: text content blocks must be non-empty"
        results = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
        leading = [b.get("tool_use_id") for b in blocks[: len(uses)]]
        if uses and (message["role"] != "user" or sorted(leading) != sorted(uses)):
            return (
                f"messages.{number}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(uses)}"
            )
        if results and sorted(results) != sorted(uses):
            return f"messages.{number}: unexpected `tool_use_id` found in `tool_result` blocks"
        uses = [b["id"] for b in blocks if b.get("type") == "tool_use"]
    if uses:
        return f"messages: `tool_use` ids were found without `tool_result` blocks: {uses}"
    return None


def anthropic_error(error_type: str, message: str) -> dict:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def _anthropic_usage(answer: Answer) -> dict:
    cached, written = answer.cached_tokens, answer.cache_write_tokens
    return {
        "input_tokens": max(0, answer.input_tokens - cached - written),  # excludes the cache
        "output_tokens": answer.output_tokens,
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": written,
    }


def _anthropic_message(answer: Answer, content: list[dict], usage: dict) -> dict:
    return {
        "id": f"msg_{uuid.uuid4().hex[:20]}",
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": content,
        "stop_reason": "tool_use" if answer.calls else "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }


def _tool_uses(answer: Answer) -> list[dict]:
    return [
        {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:20]}", "name": name, "input": args}
        for name, args in answer.calls
    ]


def anthropic_message(answer: Answer) -> dict:
    text = [{"type": "text", "text": answer.text}] if answer.text else []
    return _anthropic_message(answer, text + _tool_uses(answer), _anthropic_usage(answer))


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"


def anthropic_frames(answer: Answer) -> Frames:
    usage = _anthropic_usage(answer)
    start = _anthropic_message(answer, [], {**usage, "output_tokens": 1})
    start["stop_reason"] = None
    yield _event("message_start", {"message": start}), False
    index = 0
    if answer.pieces:
        yield (
            _event(
                "content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}
            ),
            False,
        )
        for piece in answer.pieces:
            delta = {"type": "text_delta", "text": piece}
            yield _event("content_block_delta", {"index": 0, "delta": delta}), True
    if answer.dropped:
        return
    if answer.error is not None:
        yield _event("error", {"error": answer.error}), False
        return
    if answer.pieces:
        yield _event("content_block_stop", {"index": 0}), False
        index = 1
    for offset, block in enumerate(_tool_uses(answer)):
        opening = {**block, "input": {}}
        yield (
            _event("content_block_start", {"index": index + offset, "content_block": opening}),
            False,
        )
        delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        yield _event("content_block_delta", {"index": index + offset, "delta": delta}), False
        yield _event("content_block_stop", {"index": index + offset}), False
    stop = {"stop_reason": "tool_use" if answer.calls else "end_turn", "stop_sequence": None}
    yield (
        _event(
            "message_delta", {"delta": stop, "usage": {"output_tokens": usage["output_tokens"]}}
        ),
        False,
    )
    yield _event("message_stop", {}), False
