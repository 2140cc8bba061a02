"""A loopback fake of Slack: the Web API the bot calls, and the signed requests Slack sends.

:class:`FakeSlackAPI` serves ``/api/<method>`` on 127.0.0.1 the way slack.com does (form or
JSON bodies, ``Authorization: Bearer``, ``{"ok": ...}`` answers, 429 with ``Retry-After``),
records every call, and keeps the messages it was sent so tests can read a thread back.
``/response/<key>`` stands in for interactivity and slash-command ``response_url``\\s.
``fakes.slack_harness`` holds the other direction (signed requests to the bot) and fixtures.

Run alone (for benchmarks): ``python tests/fakes/slack_api.py --port 8766``; recorded calls
are then at ``GET /_calls``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
TOKEN, TEAM, BOT_USER, BOT_ID = "xoxb-test-token", "T0ACME001", "U0BOT0001", "B0BOT0001"
APP_TOKEN = "xapp-1-A0SUPPORT1-test"
SECTION_LIMIT, TEXT_LIMIT, BLOCKS_LIMIT = 3000, 40_000, 50


def fixture(name: str) -> dict:
    """A recorded payload from ``tests/fixtures/slack`` (a fresh copy each time)."""
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))


@dataclass
class ApiCall:
    """One request the bot made: method, arguments (query + body), when (monotonic)."""

    method: str
    args: dict
    at: float = field(default_factory=time.monotonic)


class SlackError(Exception):
    def __init__(self, error: str, status: int = 200, headers: dict | None = None) -> None:
        super().__init__(error)
        self.error, self.status, self.headers = error, status, headers or {}


class FakeSlackAPI:
    """The fake Web API. ``fail(method, error)`` makes the next calls of a method fail."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[ApiCall] = []
        self.users: dict[str, dict] = {}
        self.messages: dict[tuple[str, str], dict] = {}
        self._failures: dict[str, list[SlackError]] = {}
        self.on_call: Callable[[ApiCall], None] | None = None  # e.g. a benchmark's stopwatch
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.app = web.Application(client_max_size=4 * 1024 * 1024)
        self.app.router.add_route("*", "/api/{method}", self._api)
        self.app.router.add_post("/response/{key}", self._response_url)
        self.app.router.add_get("/_calls", self._dump)
        self.app.router.add_get("/socket", self._socket)
        self.sockets: list[web.WebSocketResponse] = []

    # ---- control --------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{key}"

    def add_user(
        self, user_id: str, name: str, *, is_admin: bool = False, is_owner: bool = False
    ) -> None:
        self.users[user_id] = {"name": name, "is_admin": is_admin, "is_owner": is_owner}

    def fail(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._failures.setdefault(method, []).extend(
            SlackError(error, status, headers) for _ in range(times)
        )

    def calls_to(self, *methods: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method in methods]

    async def wait_for(self, check: Callable[[], object], timeout_s: float = 5.0) -> object:
        """Poll until ``check()`` is truthy (work happens after the ack); bounded."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls were: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.01)

    async def wait_calls(
        self, method: str, count: int = 1, timeout_s: float = 5.0
    ) -> list[ApiCall]:
        await self.wait_for(lambda: len(self.calls_to(method)) >= count, timeout_s)
        return self.calls_to(method)

    def thread(self, channel: str, thread_ts: str | None) -> list[dict]:
        """Messages the bot left in a thread (or a DM's top level when ``thread_ts`` is None)."""
        return [
            m
            for m in self.messages.values()
            if m["channel"] == channel and m.get("thread_ts") == thread_ts
        ]

    async def start(self, port: int = 0) -> FakeSlackAPI:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlackAPI:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # ---- the wire -------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(await request.post())
        self._record(ApiCall(method, args))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or args.get(
            "token"
        )
        try:
            if token != (APP_TOKEN if method == "apps.connections.open" else self.token):
                raise SlackError("invalid_auth")
            if self._failures.get(method):
                raise self._failures[method].pop(0)
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                raise SlackError("unknown_method", 404)
            return web.json_response({"ok": True, **handler(args)})
        except SlackError as error:
            body = {"ok": False, "error": error.error}
            return web.json_response(body, status=error.status, headers=error.headers)

    async def _response_url(self, request: web.Request) -> web.Response:
        self._record(
            ApiCall("response_url", {"key": request.match_info["key"], **await request.json()})
        )
        return web.json_response({"ok": True})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record what the app sends back (envelope acks)."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0SUPPORT1"}}
        )
        async for frame in socket:
            if frame.type == aiohttp.WSMsgType.TEXT:
                self._record(ApiCall("socket_ack", json.loads(frame.data)))
        self.sockets.remove(socket)
        return socket

    async def push(
        self, payload: dict, envelope_id: str, kind: str = "events_api", retry: int = 0
    ) -> None:
        """Deliver a payload over the open Socket Mode connection, as Slack does."""
        await self.wait_for(lambda: self.sockets)
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry,
            "retry_reason": "timeout" if retry else "",
        }
        await self.sockets[0].send_json(envelope)

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)

    async def _dump(self, _request: web.Request) -> web.Response:
        return web.json_response([asdict(call) for call in self.calls])

    def _next_ts(self) -> str:
        return f"{1764850000 + next(self._ts)}.{next(self._ts):06d}"

    def _message(self, channel: str, ts: str, args: dict) -> dict:
        blocks = args.get("blocks")
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        stored = self.messages.get((channel, ts), {"channel": channel, "ts": ts, "markdown": ""})
        message = {**stored, "type": "message", "user": BOT_USER, "bot_id": BOT_ID}
        if "thread_ts" in args or "ts" not in args:
            message["thread_ts"] = args.get("thread_ts") or None
        if "text" in args or blocks is not None:
            message["text"], message["blocks"] = args.get("text", ""), blocks or []
        _check_size(message)
        self.messages[(channel, ts)] = message
        return message

    # ---- methods (each returns the fields of a successful answer) ------------------

    def _apps_connections_open(self, _args: dict) -> dict:
        return {"url": f"ws://127.0.0.1:{self.port}/socket"}

    def _auth_test(self, _args: dict) -> dict:
        return {
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "supportbot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_postMessage(self, args: dict) -> dict:
        if not args.get("channel"):
            raise SlackError("channel_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("markdown_text")):
            raise SlackError("no_text")
        if args.get("markdown_text") and (args.get("text") or args.get("blocks")):
            raise SlackError("invalid_arguments")  # markdown_text goes alone
        ts = self._next_ts()
        message = self._message(args["channel"], ts, args)
        self._append(message, {"markdown_text": args.get("markdown_text")})
        return {"channel": args["channel"], "ts": ts, "message": message}

    def _chat_update(self, args: dict) -> dict:
        key = (args.get("channel"), args.get("ts"))
        if key not in self.messages:
            raise SlackError("message_not_found")
        message = self._message(*key, args)
        return {
            "channel": key[0],
            "ts": key[1],
            "text": message.get("text", ""),
            "message": message,
        }

    def _chat_delete(self, args: dict) -> dict:
        if self.messages.pop((args.get("channel"), args.get("ts")), None) is None:
            raise SlackError("message_not_found")
        return {"channel": args["channel"], "ts": args["ts"]}

    def _chat_postEphemeral(self, args: dict) -> dict:
        if not args.get("channel") or not args.get("user"):
            raise SlackError("invalid_arguments")
        return {"message_ts": self._next_ts()}

    def _chat_startStream(self, args: dict) -> dict:
        channel = args.get("channel", "")
        if not args.get("thread_ts"):
            raise SlackError("invalid_arguments")
        if not channel.startswith("D") and not (
            args.get("recipient_user_id") and args.get("recipient_team_id")
        ):
            raise SlackError("invalid_arguments")
        ts = self._next_ts()
        message = self._message(channel, ts, {"thread_ts": args["thread_ts"]})
        message["streaming"] = True
        self._append(message, args)
        return {"channel": channel, "ts": ts}

    def _chat_appendStream(self, args: dict) -> dict:
        message = self._streaming(args)
        self._append(message, args)
        return {"channel": message["channel"], "ts": message["ts"]}

    def _chat_stopStream(self, args: dict) -> dict:
        message = self._streaming(args)
        self._append(message, args)
        message["streaming"] = False
        return {"channel": message["channel"], "ts": message["ts"], "message": message}

    def _streaming(self, args: dict) -> dict:
        message = self.messages.get((args.get("channel"), args.get("ts")))
        if message is None:
            raise SlackError("message_not_found")
        if not message.get("streaming"):
            raise SlackError("message_not_in_streaming_state")
        return message

    def _append(self, message: dict, args: dict) -> None:
        chunks = args.get("chunks") or []
        chunks = json.loads(chunks) if isinstance(chunks, str) else chunks
        message["markdown"] += (args.get("markdown_text") or "") + "".join(
            chunk.get("text", "") for chunk in chunks if chunk.get("type") == "markdown_text"
        )
        if len(message["markdown"]) > 12_000:
            raise SlackError("msg_too_long")

    def _users_info(self, args: dict) -> dict:
        user_id = args.get("user", "")
        known = self.users.get(user_id, {"name": f"user-{user_id.lower()}"})
        name = known["name"]
        return {
            "user": {
                "id": user_id,
                "team_id": TEAM,
                "name": name.lower(),
                "real_name": name,
                "deleted": False,
                "is_admin": known.get("is_admin", False),
                "is_owner": known.get("is_owner", False),
                "is_bot": False,
                "profile": {"display_name": name, "real_name": name},
            }
        }

    def _assistant_threads_setStatus(self, args: dict) -> dict:
        if not args.get("channel_id") or not args.get("thread_ts"):
            raise SlackError("invalid_arguments")
        return {}

    def _assistant_threads_setSuggestedPrompts(self, args: dict) -> dict:
        return {}


def _check_size(message: dict) -> None:
    """Slack's limits: refuse what Slack would refuse."""
    if len(message.get("text") or "") > TEXT_LIMIT:
        raise SlackError("msg_too_long")
    blocks = message.get("blocks") or []
    too_long = any(len((b.get("text") or {}).get("text", "")) > SECTION_LIMIT for b in blocks)
    if len(blocks) > BLOCKS_LIMIT or too_long:
        raise SlackError("invalid_blocks")


def message_text(message: dict) -> str:
    """All the words of a message: fallback text, block texts and streamed Markdown."""
    parts = [message.get("text") or "", message.get("markdown") or ""]
    for block in message.get("blocks") or []:
        parts.append((block.get("text") or {}).get("text", ""))
        parts += [
            element.get("text", "")
            for element in block.get("elements", [])
            if isinstance(element.get("text"), str)
        ]
        parts += [f.get("text", "") for f in block.get("fields", [])]
    return "\n".join(p for p in parts if p)


async def _serve(port: int) -> None:
    fake = await FakeSlackAPI().start(port)
    print(f"fake Slack Web API on {fake.url}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A loopback fake of the Slack Web API.")
    parser.add_argument("--port", type=int, default=8766)
    asyncio.run(_serve(parser.parse_args().port))
