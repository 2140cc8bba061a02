"""A loopback fake of Discord for a real discord.py client: REST under ``/api/v10`` and the
gateway WebSocket (HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME, dispatch).

Every REST call is recorded in ``calls``; messages the bot posts and edits are kept in
``messages`` as Discord would return them. Scenario helpers (:meth:`FakeDiscord.say`,
:meth:`click`, :meth:`slash`) dispatch real-shaped events; :meth:`wait_for` polls the
recorded calls with a deadline. Interactions behave like Discord's: one callback each,
within 3 seconds, then webhook follow-ups and edits of ``@original``.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from fakes import discord_payloads as payloads
from fakes.discord_payloads import BOT_ID, GUILD_ID, HELP_CHANNEL_ID, FakeUser
from fakes.discord_rest import RestCall, RestRoutes

ADA = FakeUser("1310000000000000001", "ada.l", "Ada", dm_channel_id="1445600000000000001")
EVE = FakeUser("1310000000000000002", "eve.m", "Eve", dm_channel_id="1445600000000000002")
GRACE = FakeUser(
    "1310000000000000003",
    "grace.h",
    "Grace",
    permissions=payloads.MEMBER_PERMISSIONS | payloads.MANAGE_GUILD,
    dm_channel_id="1445600000000000003",
)
HEARTBEAT_INTERVAL_MS = 41_250


@dataclass
class Session:
    """One gateway connection."""

    ws: web.WebSocketResponse
    session_id: str = ""
    seq: int = 0
    ready: bool = False
    heartbeats: int = 0
    history: list[dict] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, frame: dict) -> None:
        async with self.lock:
            await self.ws.send_str(json.dumps(frame))

    async def dispatch(self, event: str, data: dict) -> None:
        self.seq += 1
        frame = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.history.append(frame)
        await self.send(frame)


class FakeDiscord(RestRoutes):
    """The fake server; ``async with FakeDiscord() as fake`` starts it on a free port."""

    def __init__(self, token: str = "fake-bot-token", interaction_deadline_s: float = 3.0) -> None:
        super().__init__()
        self.token = token
        self.interaction_deadline_s = interaction_deadline_s
        self.sessions: list[Session] = []
        self.identifies: list[dict] = []
        self.close_codes: list[int | None] = []
        self.snowflake = payloads.Snowflakes()
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._ready = asyncio.Event()
        self._disconnected = asyncio.Event()
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        self.add_routes(app)
        self._app = app

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self, port: int = 0) -> FakeDiscord:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 (port 0 -> real port)
        return self

    async def stop(self) -> None:
        for session in self.sessions:
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # ---- gateway -------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = Session(ws)
        self.sessions.append(session)
        hello = {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ['["gateway-fake"]']}
        await session.send({"op": 10, "d": hello, "s": None, "t": None})
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                await self._on_frame(session, json.loads(message.data))
        session.ready = False
        self.close_codes.append(ws.close_code)
        self._disconnected.set()
        return ws

    async def _on_frame(self, session: Session, frame: dict) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            session.heartbeats += 1
            await session.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(session, data)
        elif op == 6:
            await self._resume(session, data)

    async def _identify(self, session: Session, data: dict) -> None:
        if data.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identifies.append(data)
        session.session_id = uuid.uuid4().hex
        await session.dispatch("READY", payloads.ready(session.session_id, self.gateway_url))
        session.ready = True
        await session.dispatch("GUILD_CREATE", payloads.fixture("guild_create"))
        self._ready.set()

    async def _resume(self, session: Session, data: dict) -> None:
        old = next((s for s in self.sessions if s.session_id == data.get("session_id")), None)
        if old is None or data.get("token") != self.token:
            await session.send({"op": 9, "d": False, "s": None, "t": None})
            return
        session.session_id, session.seq, session.history = old.session_id, old.seq, old.history
        old.session_id = ""
        for frame in [f for f in session.history if f["s"] > (data.get("seq") or 0)]:
            await session.send(frame)
        session.ready = True
        await session.dispatch("RESUMED", {"_trace": ['["gateway-fake"]']})
        self._ready.set()

    async def dispatch(self, event: str, data: dict) -> None:
        """Send a DISPATCH to every connected, identified client."""
        live = [s for s in self.sessions if s.ready and not s.ws.closed]
        assert live, "no discord.py client is connected to the fake gateway"
        for session in live:
            await session.dispatch(event, data)

    async def reconnect(self) -> None:
        """Ask the clients to reconnect (op 7), as Discord does during deploys."""
        for session in [s for s in self.sessions if s.ready and not s.ws.closed]:
            session.ready = False
            await session.send({"op": 7, "d": None, "s": None, "t": None})

    async def wait_connected(self, within_s: float = 5.0) -> None:
        """Until a client has identified (READY and GUILD_CREATE sent) or resumed."""
        async with asyncio.timeout(within_s):
            await self._ready.wait()
        self._ready.clear()

    async def wait_disconnected(self, within_s: float = 5.0) -> None:
        """Until a gateway connection has ended (its close code is in ``close_codes``)."""
        async with asyncio.timeout(within_s):
            await self._disconnected.wait()

    # ---- scenario helpers ----------------------------------------------------------

    async def say(
        self,
        content: str,
        user: FakeUser = ADA,
        *,
        channel_id: str = HELP_CHANNEL_ID,
        dm: bool = False,
        mention: bool = True,
        message_id: str | None = None,
    ) -> dict:
        """``user`` posts a message (mentioning the bot unless ``mention=False``, and
        always without the mention in a DM); returns the MESSAGE_CREATE payload."""
        if mention and not dm:
            content = f"<@{BOT_ID}> {content}"
        payload = payloads.message_create(
            message_id or self.snowflake(),
            user,
            content,
            user.dm_channel_id if dm else channel_id,
            guild=not dm,
            mentions=[payloads.mention_of_bot()] if mention and not dm else [],
        )
        if not dm:
            payload["guild_id"] = GUILD_ID
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    async def click(self, message_id: str, custom_id: str, user: FakeUser = ADA) -> dict:
        """``user`` presses the button ``custom_id`` on the bot's message ``message_id``."""
        message = self.messages[message_id]
        guild = message["channel_id"] not in {u.dm_channel_id for u in (ADA, EVE, GRACE)}
        payload = payloads.component_interaction(
            self.snowflake(), self._new_interaction_token(), user, message, custom_id, guild=guild
        )
        return await self._interact(payload, message_id)

    async def slash(
        self,
        name: str,
        user: FakeUser = ADA,
        *,
        options: dict[str, str] | None = None,
        users: dict[str, FakeUser] | None = None,
        dm: bool = False,
    ) -> dict:
        """``user`` runs ``/name``; ``options`` are strings, ``users`` user options."""
        command = next(c for c in self.commands if c["name"] == name)
        option_list = [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()]
        option_list += [{"name": k, "type": 6, "value": u.id} for k, u in (users or {}).items()]
        resolved = {"users": {u.id: u.user() for u in (users or {}).values()}} if users else {}
        channel_id = user.dm_channel_id if dm else HELP_CHANNEL_ID
        payload = payloads.command_interaction(
            self.snowflake(),
            self._new_interaction_token(),
            user,
            command,
            option_list,
            resolved,
            channel_id,
            guild=not dm,
        )
        return await self._interact(payload, None)

    async def _interact(self, payload: dict, message_id: str | None) -> dict:
        self.open_interaction(payload, message_id)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    @staticmethod
    def _new_interaction_token() -> str:
        return "aW50ZXJhY3Rpb246" + uuid.uuid4().hex + uuid.uuid4().hex

    # ---- assertions ----------------------------------------------------------------

    def find(
        self, method: str, path_start: str, where: Callable[[RestCall], bool] = lambda c: True
    ) -> list[RestCall]:
        return [
            c
            for c in self.calls
            if c.method == method and c.path.startswith(path_start) and where(c)
        ]

    async def wait_for(
        self,
        method: str,
        path_start: str,
        where: Callable[[RestCall], bool] = lambda c: True,
        count: int = 1,
        within_s: float = 5.0,
    ) -> list[RestCall]:
        """Poll the recorded calls until ``count`` match (or fail, listing what came)."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            found = self.find(method, path_start, where)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.01)
        seen = "\n".join(f"  {c.method} {c.path} {json.dumps(c.body)[:200]}" for c in self.calls)
        raise AssertionError(f"expected {count} x {method} {path_start}...; calls were:\n{seen}")

    def channel_messages(self, channel_id: str) -> list[dict]:
        """The bot's messages in a channel as they look now (edits applied), oldest first."""
        return [
            m
            for m in self.messages.values()
            if m["channel_id"] == channel_id and m["author"]["id"] == BOT_ID and not m["flags"] & 64
        ]
