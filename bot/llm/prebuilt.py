"""Handing the SDKs request fields that are already plain JSON.

Both SDKs walk every nested value of a request against their TypedDicts before sending it
(to apply aliases and date or file formats). Our messages and tool schemas are plain JSON
already, and that walk cost several milliseconds a call on long histories: the biggest
single cost of a turn. ``extra_body`` is the SDKs' documented way to add JSON to a request
body; it is merged as is, later keys winning, so the request on the wire is the same.
"""

from __future__ import annotations

PLAIN_FIELDS = ("messages", "tools")


def prebuilt(arguments: dict) -> dict:
    """``arguments`` for ``create()`` with the plain-JSON fields moved into ``extra_body``."""
    body = {name: arguments.pop(name) for name in PLAIN_FIELDS if name in arguments}
    arguments["messages"] = []  # the SDKs' signatures require it; extra_body replaces it
    arguments["extra_body"] = body
    return arguments
