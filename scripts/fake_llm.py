"""A fake model server on 127.0.0.1 speaking the OpenAI Chat Completions wire format
(streaming and not) and Anthropic Messages (streaming and not).

Run the whole bot without an API key:

    python scripts/fake_llm.py --port 8765
    OPENAI_BASE_URL=http://127.0.0.1:8765/v1 python -m bot chat

With nothing scripted it answers by simple rules (orders -> list_orders, "cancel A-..." ->
cancel_order, after a tool result -> a summary of it). Tests script exact replies, tool
calls and faults with :meth:`FakeLLM.push`, and read what the SDKs sent in ``requests``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Say:
    """Reply with text (streamed in ``chunks`` pieces when the client streams)."""

    text: str
    chunks: int = 3
    delay_s: float = 0.0


@dataclass
class Call:
    """Reply with tool calls: ``[(name, arguments), ...]``, optionally after some text."""

    calls: list[tuple[str, dict]]
    text: str = ""
    delay_s: float = 0.0


@dataclass
class Fault:
    """Fail: an HTTP error (``status``), a hang (``hang_s``) or an error mid-stream."""

    status: int = 500
    message: str = "internal error"
    error_type: str = "server_error"
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0
    mid_stream: bool = False  # send some text, then an error event (streaming only)


Step = Say | Call | Fault


@dataclass
class Usage:
    """What the fake reports as usage for each reply (``None`` fields: estimated)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int = 0
    cache_write_tokens: int = 0


ORDER_ID = re.compile(r"\b([A-Z]-[A-Z0-9]{3,12})\b", re.I)


def rule_reply(messages: list[dict]) -> Step:
    """The development behaviour: a few keyword rules over the neutral message list."""
    last = messages[-1] if messages else {"role": "user", "content": ""}
    if last["role"] == "tool":
        data = last["content"]
        if "awaiting_user_confirmation" in data:
            return Say("Please confirm with the buttons below.")
        return Say(f"Here is what I found: {data}")
    text = str(last.get("content", ""))
    lowered = text.lower()
    if match := ORDER_ID.search(text):
        order = match.group(1).upper()
        if "cancel" in lowered:
            return Call([("cancel_order", {"order_id": order})])
        return Call([("get_order", {"order_id": order})])
    if "delete" in lowered and "account" in lowered:
        return Call([("delete_account", {})])
    if "order" in lowered:
        return Call([("list_orders", {})])
    if "account" in lowered:
        return Call([("get_account", {})])
    if any(word in lowered for word in ("human", "dispute", "refund", "charged")):
        return Call([("escalate_to_human", {"summary": text[:200]})])
    return Say(f"(fake model) You said: {text[:200]}")


def _estimate(text: str) -> int:
    return max(1, len(text) // 4)


class FakeLLM:
    """The fake server. ``push`` steps; each request takes the next one (else a rule reply)."""

    def __init__(self, usage: Usage | None = None) -> None:
        self.script: deque[Step] = deque()
        self.requests: list[dict] = []  # {"api": "openai"|"anthropic", "body": ..., "headers": ...}
        self.usage = usage or Usage()
        self._runner: web.AppRunner | None = None
        self.port = 0
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/v1/messages", self._anthropic)
        self._app = app

    def push(self, *steps: Step) -> FakeLLM:
        self.script.extend(steps)
        return self

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> FakeLLM:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 (port 0 -> real port)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeLLM:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # ---- shared ---------------------------------------------------------------------

    def _next(self, neutral: list[dict]) -> Step:
        return self.script.popleft() if self.script else rule_reply(neutral)

    def _usage(self, prompt_chars: int, output: str) -> tuple[int, int]:
        return (
            self.usage.input_tokens if self.usage.input_tokens is not None else _estimate("x" * prompt_chars),
            self.usage.output_tokens if self.usage.output_tokens is not None else _estimate(output),
        )

    @staticmethod
    def _pieces(text: str, chunks: int) -> list[str]:
        if not text:
            return []
        size = max(1, -(-len(text) // max(1, chunks)))
        return [text[i : i + size] for i in range(0, len(text), size)]

    async def _fault_response(self, fault: Fault, body: dict) -> web.Response:
        if fault.hang_s:
            await asyncio.sleep(fault.hang_s)
        headers = {"Content-Type": "application/json", **fault.headers}
        return web.Response(status=fault.status, headers=headers, text=json.dumps(body))

    # ---- OpenAI Chat Completions ----------------------------------------------------

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append({"api": "openai", "body": body, "headers": dict(request.headers)})
        neutral = [
            {"role": m["role"], "content": m.get("content") or ""}
            for m in body.get("messages", [])
            if m["role"] != "system"
        ]
        step = self._next(neutral)
        prompt_chars = sum(len(json.dumps(m)) for m in body.get("messages", []))
        model = body.get("model", "gpt-4o-mini")
        if isinstance(step, Fault) and not (step.mid_stream and body.get("stream")):
            error = {"error": {"message": step.message, "type": step.error_type, "code": None}}
            return await self._fault_response(step, error)
        await asyncio.sleep(getattr(step, "delay_s", 0.0))
        text = step.text if not isinstance(step, Fault) else "Partial answer"
        calls = [
            {"id": f"call_{uuid.uuid4().hex[:12]}", "name": name, "arguments": json.dumps(args)}
            for name, args in (step.calls if isinstance(step, Call) else [])
        ]
        tokens_in, tokens_out = self._usage(prompt_chars, text + "".join(c["arguments"] for c in calls))
        usage = {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
            "prompt_tokens_details": {"cached_tokens": self.usage.cached_tokens},
        }
        finish = "tool_calls" if calls else "stop"
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:16]}"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": text or None}
            if calls:
                message["tool_calls"] = [
                    {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
                    for c in calls
                ]
            return web.json_response(
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": usage,
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(delta: dict, finish_reason: str | None = None, **extra: Any) -> None:
            chunk = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}] if delta is not None else [],
                **extra,
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        for piece in self._pieces(text, getattr(step, "chunks", 1)):
            await send({"content": piece})
        if isinstance(step, Fault):
            error = {"error": {"message": step.message, "type": step.error_type}}
            await response.write(f"data: {json.dumps(error)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
            return response
        for index, call in enumerate(calls):
            await send(
                {"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                 "function": {"name": call["name"], "arguments": ""}}]}
            )
            await send({"tool_calls": [{"index": index, "function": {"arguments": call["arguments"]}}]})
        await send({}, finish)
        await send(None, usage=usage)
        await response.write(b"data: [DONE]\n\n")
        return response

    # ---- Anthropic Messages ---------------------------------------------------------

    async def _anthropic(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append({"api": "anthropic", "body": body, "headers": dict(request.headers)})
        neutral = []
        for message in body.get("messages", []):
            content = message["content"]
            if isinstance(content, str):
                neutral.append({"role": message["role"], "content": content})
                continue
            for block in content:
                if block.get("type") == "tool_result":
                    inner = block.get("content")
                    text = inner if isinstance(inner, str) else "".join(b.get("text", "") for b in inner or [])
                    neutral.append({"role": "tool", "content": text})
                elif block.get("type") == "text":
                    neutral.append({"role": message["role"], "content": block["text"]})
        step = self._next(neutral)
        prompt_chars = len(json.dumps(body.get("messages", []))) + len(json.dumps(body.get("system", "")))
        model = body.get("model", "claude-haiku-4-5")
        if isinstance(step, Fault) and not (step.mid_stream and body.get("stream")):
            error = {"type": "error", "error": {"type": step.error_type, "message": step.message}}
            return await self._fault_response(step, error)
        await asyncio.sleep(getattr(step, "delay_s", 0.0))
        text = step.text if not isinstance(step, Fault) else "Partial answer"
        calls = [
            {"id": f"toolu_{uuid.uuid4().hex[:20]}", "name": name, "input": args}
            for name, args in (step.calls if isinstance(step, Call) else [])
        ]
        tokens_in, tokens_out = self._usage(prompt_chars, text + json.dumps([c["input"] for c in calls]))
        # Anthropic's input_tokens exclude cache reads and writes.
        usage = {
            "input_tokens": max(0, tokens_in - self.usage.cached_tokens - self.usage.cache_write_tokens),
            "output_tokens": tokens_out,
            "cache_read_input_tokens": self.usage.cached_tokens,
            "cache_creation_input_tokens": self.usage.cache_write_tokens,
        }
        stop = "tool_use" if calls else "end_turn"
        message_id = f"msg_{uuid.uuid4().hex[:20]}"
        content: list[dict] = ([{"type": "text", "text": text}] if text else []) + [
            {"type": "tool_use", **call} for call in calls
        ]
        if not body.get("stream"):
            return web.json_response(
                {
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": content,
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": usage,
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(event: str, data: dict) -> None:
            await response.write(f"event: {event}\ndata: {json.dumps({'type': event, **data})}\n\n".encode())

        start_usage = {**usage, "output_tokens": 1}
        await send(
            "message_start",
            {"message": {"id": message_id, "type": "message", "role": "assistant", "model": model,
                         "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}},
        )
        index = 0
        if text:
            await send("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
            for piece in self._pieces(text, getattr(step, "chunks", 1)):
                await send("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": piece}})
            if isinstance(step, Fault):
                await send("error", {"error": {"type": step.error_type, "message": step.message}})
                return response
            await send("content_block_stop", {"index": 0})
            index = 1
        for call in calls:
            await send(
                "content_block_start",
                {"index": index, "content_block": {"type": "tool_use", "id": call["id"], "name": call["name"], "input": {}}},
            )
            await send(
                "content_block_delta",
                {"index": index, "delta": {"type": "input_json_delta", "partial_json": json.dumps(call["input"])}},
            )
            await send("content_block_stop", {"index": index})
            index += 1
        await send("message_delta", {"delta": {"stop_reason": stop, "stop_sequence": None},
                                     "usage": {"output_tokens": tokens_out}})
        await send("message_stop", {})
        return response


async def _serve(port: int) -> None:
    fake = await FakeLLM().start(port)
    print(f"fake model on {fake.openai_url} (OpenAI) and {fake.anthropic_url} (Anthropic)", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
