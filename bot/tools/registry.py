"""A registry of typed tools: pydantic arguments, JSON schema, destructive or not.

The model only ever proposes a call. Arguments are validated here, every tool acts on
the *requesting* customer given by :class:`ToolContext` (never on an id the model names
for the customer), and a destructive tool is first ``prepare``d into a plain-language
summary for the user to confirm.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.clock import Clock
from bot.llm.types import ToolSpec
from bot.storage.db import Database


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Who the tool acts for: the customer behind the requesting chat user."""

    customer_id: str
    user_key: str
    conversation_id: int | None
    db: Database
    clock: Clock


ToolResult = dict[str, Any]
Runner = Callable[[ToolContext, Any], Awaitable[ToolResult]]
Preparer = Callable[[ToolContext, Any], Awaitable["Prepared"]]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A destructive call checked before confirmation: a summary, or why it cannot be done."""

    summary: str | None = None
    refusal: ToolResult | None = None


@dataclass(frozen=True, slots=True)
class Tool:
    """One tool. ``prepare`` is required for destructive tools."""

    name: str
    description: str
    arguments: type[BaseModel]
    run: Runner
    destructive: bool = False
    prepare: Preparer | None = None

    def spec(self) -> ToolSpec:
        schema = self.arguments.model_json_schema()
        schema.pop("title", None)
        schema.setdefault("properties", {})
        return ToolSpec(self.name, self.description, schema)


@dataclass(frozen=True, slots=True)
class ParsedCall:
    """A model's call, resolved against the registry and validated."""

    tool: Tool | None
    arguments: BaseModel | None
    error: ToolResult | None


class ToolRegistry:
    """The tools on offer, by name."""

    def __init__(self, tools: list[Tool]) -> None:
        for tool in tools:
            if tool.destructive and tool.prepare is None:
                raise ValueError(f"destructive tool {tool.name} needs a prepare step")
        self._tools = {tool.name: tool for tool in tools}
        self.specs = tuple(tool.spec() for tool in tools)

    def parse(self, name: str, raw_arguments: str) -> ParsedCall:
        """Look the tool up and validate the model's JSON arguments server-side."""
        tool = self._tools.get(name)
        if tool is None:
            return ParsedCall(None, None, {"error": f"unknown tool {name!r}"})
        try:
            data = json.loads(raw_arguments or "{}")
            if not isinstance(data, dict):
                raise ValueError("arguments must be a JSON object")
            return ParsedCall(tool, tool.arguments.model_validate(data), None)
        except (ValueError, ValidationError) as exc:
            detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            return ParsedCall(tool, None, {"error": f"invalid arguments: {detail}"})


def canonical_arguments(arguments: BaseModel) -> str:
    """The exact arguments as stable JSON (what is stored, hashed and later run)."""
    return json.dumps(arguments.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
