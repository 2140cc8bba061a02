"""Where Slack's requests come in: HTTP (Bolt's aiohttp adapter) or Socket Mode.

Slack wants every request acknowledged within 3 seconds; the listeners ack and hand the
work to a task (:class:`handlers.Background`), so the ack never waits for the model.
"""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

EVENTS_PATH = "/slack/events"


def web_app(bolt: AsyncApp | None) -> web.Application:
    """Events, interactivity and slash commands at one URL (Bolt tells them apart and
    checks the signature: 401 when it is wrong), plus a health check."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    if bolt is not None:
        app.router.add_post(EVENTS_PATH, events)
    app.router.add_get("/healthz", healthz)
    return app


async def start_http(bolt: AsyncApp | None, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve on ``host:port`` (0 picks a free port); returns the runner and the real port."""
    runner = web.AppRunner(web_app(bolt), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, runner.addresses[0][1]


class Intake:
    """Takes Slack's requests for ``bolt``: HTTP on ``host:port``, or Socket Mode with
    ``app_token`` (then HTTP serves only ``/healthz``)."""

    def __init__(self, bolt: AsyncApp, app_token: str | None = None) -> None:
        self._bolt = bolt
        self._app_token = app_token
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> int:
        """Start taking requests; returns the HTTP port."""
        if self._app_token:
            self._socket = AsyncSocketModeHandler(self._bolt, self._app_token)
            await self._socket.connect_async()
        self._runner, bound = await start_http(None if self._socket else self._bolt, host, port)
        return bound

    async def stop(self) -> None:
        """Stop taking requests (answers already started carry on)."""
        if self._socket is not None:
            await self._socket.close_async()
        if self._runner is not None:
            await self._runner.cleanup()
