"""A fake model server on 127.0.0.1 speaking the OpenAI Chat Completions wire format
(streaming and not) and Anthropic Messages (streaming and not).

Run the whole bot without an API key:

    python scripts/fake_llm.py --port 8765 [--delay 2]
    OPENAI_BASE_URL=http://127.0.0.1:8765/v1 python -m bot chat
    # or: LLM_PROVIDER=anthropic ANTHROPIC_BASE_URL=http://127.0.0.1:8765 python -m bot chat

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
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from aiohttp import web

from fake_llm_wire import (
    Answer,
    Frames,
    anthropic_error,
    anthropic_frames,
    anthropic_message,
    anthropic_neutral,
    anthropic_problem,
    openai_completion,
    openai_error,
    openai_frames,
    openai_neutral,
    openai_problem,
)


@dataclass
class Say:
    """Reply with text (streamed in ``chunks`` pieces, ``gap_s`` apart, when the client
    streams), after ``delay_s``."""

    text: str
    chunks: int = 3
    delay_s: float = 0.0
    gap_s: float = 0.0


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
    mid_stream: bool = False  # send ``partial`` text, then an error event (streaming only)
    partial: str = "Partial answer"
    raw_body: str | None = None  # a non-JSON body (say, a proxy's HTML page) instead
    drop: bool = False  # streaming: send ``partial`` text, then end with no error and no finish


Step = Say | Call | Fault


@dataclass
class Usage:
    """What the fake reports as usage for each reply (``None`` fields: estimated)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass
class StreamMark:
    """When (``time.perf_counter()``) a streamed reply's first byte and first text left."""

    first_byte: float
    first_text: float | None = None


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


@dataclass(frozen=True)
class _Api:
    """One wire format: how to read a request and write each kind of answer."""

    name: str
    default_model: str
    neutral: Callable[[dict], list[dict]]
    problem: Callable[[dict], str | None]
    error: Callable[[str, str], dict]
    whole: Callable[[Answer], dict]
    frames: Callable[[Answer], Frames]


OPENAI = _Api(
    "openai",
    "gpt-4o-mini",
    openai_neutral,
    openai_problem,
    openai_error,
    openai_completion,
    openai_frames,
)
ANTHROPIC = _Api(
    "anthropic",
    "claude-haiku-4-5",
    anthropic_neutral,
    anthropic_problem,
    anthropic_error,
    anthropic_message,
    anthropic_frames,
)


def _pieces(text: str, chunks: int) -> list[str]:
    if not text:
        return []
    size = max(1, -(-len(text) // max(1, chunks)))
    return [text[i : i + size] for i in range(0, len(text), size)]


class FakeLLM:
    """The fake server. ``push`` steps; each request takes the next one (else a rule reply)."""

    def __init__(self, usage: Usage | None = None, reply_delay_s: float = 0.0) -> None:
        self.script: deque[Step] = deque()
        self.requests: list[dict] = []  # {"api": "openai"|"anthropic", "body": ..., "headers": ...}
        self.usage = usage or Usage()
        self.reply_delay_s = reply_delay_s  # added before every reply (a slow model)
        self.marks: list[StreamMark] = []  # one per streamed reply, in order
        self._runner: web.AppRunner | None = None
        self.port = 0
        app = web.Application()
        app.router.add_post("/v1/chat/completions", partial(self._reply, api=OPENAI))
        app.router.add_post("/v1/messages", partial(self._reply, api=ANTHROPIC))
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

    # ---- answering ----------------------------------------------------------------

    async def _reply(self, request: web.Request, api: _Api) -> web.StreamResponse:
        body = await request.json()
        self.requests.append({"api": api.name, "body": body, "headers": dict(request.headers)})
        if problem := api.problem(body):  # as the real API would, before any scripted step
            error = api.error("invalid_request_error", problem)
            return web.json_response(error, status=400)
        step = self.script.popleft() if self.script else rule_reply(api.neutral(body))
        streaming = bool(body.get("stream"))
        if isinstance(step, Fault) and not ((step.mid_stream or step.drop) and streaming):
            return await self._fault_response(step, api.error(step.error_type, step.message))
        delay = getattr(step, "delay_s", 0.0) + self.reply_delay_s
        if delay:
            await asyncio.sleep(delay)
        answer = self._answer(step, body, api.default_model)
        if not streaming:
            return web.json_response(api.whole(answer))
        return await self._stream(request, api.frames(answer), getattr(step, "gap_s", 0.0))

    def _answer(self, step: Step, body: dict, default_model: str) -> Answer:
        text = step.partial if isinstance(step, Fault) else step.text
        calls = step.calls if isinstance(step, Call) else []
        prompt = json.dumps(body.get("messages", [])) + json.dumps(body.get("system", ""))
        output = text + json.dumps([arguments for _, arguments in calls])
        usage = self.usage
        return Answer(
            model=body.get("model") or default_model,
            pieces=_pieces(text, getattr(step, "chunks", 1)),
            calls=calls,
            input_tokens=_estimate(prompt) if usage.input_tokens is None else usage.input_tokens,
            output_tokens=_estimate(output) if usage.output_tokens is None else usage.output_tokens,
            cached_tokens=usage.cached_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            error={"type": step.error_type, "message": step.message}
            if isinstance(step, Fault) and not step.drop
            else None,
            dropped=isinstance(step, Fault) and step.drop,
        )

    async def _fault_response(self, fault: Fault, body: dict) -> web.Response:
        if fault.hang_s:
            await asyncio.sleep(fault.hang_s)
        if fault.raw_body is not None:
            headers = {"Content-Type": "text/html", **fault.headers}
            return web.Response(status=fault.status, headers=headers, text=fault.raw_body)
        headers = {"Content-Type": "application/json", **fault.headers}
        return web.Response(status=fault.status, headers=headers, text=json.dumps(body))

    async def _stream(
        self, request: web.Request, frames: Frames, gap_s: float
    ) -> web.StreamResponse:
        """Write server-sent events, ``gap_s`` between text pieces, marking the first ones."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        mark: StreamMark | None = None
        texts = 0
        for payload, is_text in frames:
            if is_text and texts and gap_s:
                await asyncio.sleep(gap_s)
            now = time.perf_counter()
            if mark is None:
                mark = StreamMark(now)
                self.marks.append(mark)
            if is_text and mark.first_text is None:
                mark.first_text = now
            texts += is_text
            await response.write(payload.encode())
        return response


async def _serve(port: int, delay_s: float) -> None:
    fake = await FakeLLM(reply_delay_s=delay_s).start(port)
    print(
        f"fake model on {fake.openai_url} (OpenAI) and {fake.anthropic_url} (Anthropic)", flush=True
    )
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every reply")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.delay))


if __name__ == "__main__":
    main()
