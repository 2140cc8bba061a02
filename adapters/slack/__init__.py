"""The Slack adapter (slack-bolt ``AsyncApp``): mentions, DMs, threads, streamed answers,
Confirm/Cancel buttons and ``/usage``. ``python -m bot slack`` calls :func:`run`."""

from __future__ import annotations

from .app import SlackApp, build_bolt, make_client
from .intake import start_http, web_app
from .server import run

__all__ = ["SlackApp", "build_bolt", "make_client", "run", "start_http", "web_app"]
