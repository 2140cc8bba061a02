"""The REST half of the fake Discord: the routes discord.py calls, answered the way Discord
answers them (including its errors), with every call recorded."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fakes import discord_payloads as payloads
from fakes.discord_payloads import BOT_ID

API = "/api/v10"
CONTENT_LIMIT = 2000
BODY = web.RequestKey("body", object)  # the parsed JSON body, read once by the recorder
EPHEMERAL = 1 << 6
LOADING = 1 << 7


def reply(data: Any = None, status: int = 200) -> web.Response:
    """A JSON answer whose content-type is exactly ``application/json`` (no charset),
    which is what discord.py requires to parse it."""
    if data is None and status == 204:
        return web.Response(status=204)
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def error(status: int, code: int, message: str, errors: dict | None = None) -> web.Response:
    body = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return reply(body, status)


def _too_long() -> web.Response:
    detail = {
        "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]
    }
    return error(400, 50035, "Invalid Form Body", {"content": detail})


@dataclass
class RestCall:
    """One request the client made: method, path below ``/api/v10``, query, JSON body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    at: float = field(default_factory=time.perf_counter)


@dataclass
class Interaction:
    """What the fake remembers about one interaction it dispatched."""

    id: str
    channel_id: str
    message_id: str | None  # the clicked message, for a component
    created: float
    response_type: int | None = None
    original_id: str | None = None


class RestRoutes:
    """Route handlers; :class:`~fakes.discord_server.FakeDiscord` adds the gateway."""

    token: str
    interaction_deadline_s: float
    snowflake: payloads.Snowflakes

    def __init__(self) -> None:
        self.calls: list[RestCall] = []
        self.messages: dict[str, dict] = {}
        self.commands: list[dict] = []
        self.interactions: dict[str, Interaction] = {}

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(self._record)
        routes = [
            ("GET", "/users/@me", self._me),
            ("GET", "/oauth2/applications/@me", self._application),
            ("GET", "/gateway", self._gateway_url),
            ("GET", "/gateway/bot", self._gateway_url),
            ("POST", "/channels/{channel}/messages", self._post_message),
            ("PATCH", "/channels/{channel}/messages/{message}", self._edit_message),
            ("GET", "/channels/{channel}/messages/{message}", self._get_message),
            ("POST", "/channels/{channel}/typing", self._typing),
            ("POST", "/interactions/{interaction}/{token}/callback", self._callback),
            ("POST", "/webhooks/{app}/{token}", self._follow_up),
            ("PATCH", "/webhooks/{app}/{token}/messages/{message}", self._edit_webhook_message),
            ("GET", "/webhooks/{app}/{token}/messages/{message}", self._get_webhook_message),
            ("GET", "/applications/{app}/commands", self._list_commands),
            ("PUT", "/applications/{app}/commands", self._overwrite_commands),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API + path, handler)
        app.router.add_route("*", API + "/{tail:.*}", self._unknown)

    @web.middleware
    async def _record(self, request: web.Request, handler):  # noqa: ANN001, ANN202
        if not request.path.startswith(API):
            return await handler(request)
        body = await request.json() if request.can_read_body else None
        call = RestCall(request.method, request.path.removeprefix(API), dict(request.query), body)
        self.calls.append(call)
        webhook = call.path.startswith(("/webhooks/", "/interactions/"))
        if not webhook and request.headers.get("Authorization") != f"Bot {self.token}":
            response = error(401, 0, "401: Unauthorized")
        else:
            request[BODY] = body
            response = await handler(request)
        call.status = response.status
        return response

    # ---- identity ----------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        return reply(payloads.bot_user())

    async def _application(self, request: web.Request) -> web.Response:
        return reply(payloads.fixture("application"))

    async def _gateway_url(self, request: web.Request) -> web.Response:
        url = f"ws://{request.host}/gateway"
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return reply({"url": url, "shards": 1, "session_start_limit": limit})

    async def _unknown(self, request: web.Request) -> web.Response:
        return error(404, 0, "404: Not Found")

    # ---- channel messages --------------------------------------------------------------

    def create_message(self, channel_id: str, body: dict) -> dict | web.Response:
        content = body.get("content") or ""
        if len(content) > CONTENT_LIMIT:
            return _too_long()
        if not (content or body.get("embeds") or body.get("components")):
            return error(400, 50006, "Cannot send an empty message")
        message = payloads.bot_message(self.snowflake(), channel_id, body)
        self.messages[message["id"]] = message
        return message

    def update_message(self, message_id: str, body: dict) -> dict | web.Response:
        message = self.messages.get(message_id)
        if message is None:
            return error(404, 10008, "Unknown Message")
        if len(body.get("content") or "") > CONTENT_LIMIT:
            return _too_long()
        for key in ("content", "embeds", "flags"):
            if key in body and body[key] is not None:
                message[key] = body[key]
        if "components" in body:
            message["components"] = payloads._with_ids(body["components"] or [])  # noqa: SLF001
        message["edited_timestamp"] = payloads.now_iso()
        return message

    async def _post_message(self, request: web.Request) -> web.Response:
        result = self.create_message(request.match_info["channel"], request[BODY] or {})
        return result if isinstance(result, web.Response) else reply(result)

    async def _edit_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["message"])
        if message is not None and message["author"]["id"] != BOT_ID:
            return error(403, 50005, "Cannot edit a message authored by another user")
        result = self.update_message(request.match_info["message"], request[BODY] or {})
        return result if isinstance(result, web.Response) else reply(result)

    async def _get_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["message"])
        return reply(message) if message else error(404, 10008, "Unknown Message")

    async def _typing(self, request: web.Request) -> web.Response:
        return reply(status=204)

    # ---- interactions ------------------------------------------------------------------

    def open_interaction(self, payload: dict, message_id: str | None) -> None:
        self.interactions[payload["token"]] = Interaction(
            payload["id"], payload["channel_id"], message_id, time.monotonic()
        )

    async def _callback(self, request: web.Request) -> web.Response:
        record = self.interactions.get(request.match_info["token"])
        if record is None or record.id != request.match_info["interaction"]:
            return error(404, 10062, "Unknown interaction")
        if time.monotonic() - record.created > self.interaction_deadline_s:
            return error(404, 10062, "Unknown interaction")
        if record.response_type is not None:
            return error(400, 40060, "Interaction has already been acknowledged.")
        body = request[BODY]
        kind, data = body["type"], body.get("data") or {}
        message = None
        if kind == 4:
            message = self.create_message(record.channel_id, data)
        elif kind == 5:
            flags = LOADING | (data.get("flags") or 0)
            message = payloads.bot_message(self.snowflake(), record.channel_id, {"flags": flags})
            self.messages[message["id"]] = message
        elif kind == 7:
            message = self.update_message(record.message_id, data)
        if isinstance(message, web.Response):
            return message
        record.response_type = kind
        record.original_id = message["id"] if message else record.message_id
        flags = (message or {}).get("flags", 0)
        response = {
            "interaction": {
                "id": record.id,
                "type": 3 if record.message_id else 2,
                "response_message_id": record.original_id,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            },
            "resource": {"type": kind, **({"message": message} if kind in (4, 7) else {})},
        }
        return reply(response)

    def _acknowledged(self, token: str) -> Interaction | web.Response:
        record = self.interactions.get(token)
        if record is None or record.response_type is None:
            return error(404, 10015, "Unknown Webhook")
        return record

    async def _follow_up(self, request: web.Request) -> web.Response:
        record = self._acknowledged(request.match_info["token"])
        if isinstance(record, web.Response):
            return record
        body = request[BODY] or {}
        original = self.messages.get(record.original_id or "")
        if record.response_type == 5 and original is not None and original["flags"] & LOADING:
            # The first follow-up after a "thinking" defer replaces the loading message.
            body = {**body, "flags": (original["flags"] & EPHEMERAL) | (body.get("flags") or 0)}
            result = self.update_message(original["id"], body)
            if isinstance(result, dict):
                result["flags"] &= ~LOADING
        else:
            result = self.create_message(record.channel_id, body)
        if isinstance(result, web.Response):
            return result
        return reply(result) if request.query.get("wait") in ("1", "true") else reply(status=204)

    def _webhook_target(self, request: web.Request) -> str | web.Response:
        record = self._acknowledged(request.match_info["token"])
        if isinstance(record, web.Response):
            return record
        target = request.match_info["message"]
        return (record.original_id or "") if target == "@original" else target

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        target = self._webhook_target(request)
        if isinstance(target, web.Response):
            return target
        result = self.update_message(target, request[BODY] or {})
        if isinstance(result, dict):
            result["flags"] &= ~LOADING
            return reply(result)
        return result

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        target = self._webhook_target(request)
        if isinstance(target, web.Response):
            return target
        message = self.messages.get(target)
        return reply(message) if message else error(404, 10008, "Unknown Message")

    # ---- application commands ----------------------------------------------------------

    async def _list_commands(self, request: web.Request) -> web.Response:
        return reply(self.commands)

    async def _overwrite_commands(self, request: web.Request) -> web.Response:
        app_id = request.match_info["app"]
        self.commands = [
            payloads.registered_command(self.snowflake(), app_id, body) for body in request[BODY]
        ]
        return reply(self.commands)
