"""Real-shaped Discord payloads for the fake: the recorded fixtures under
``tests/fixtures/discord/`` with the ids, users and texts of a scenario filled in."""

from __future__ import annotations

import copy
import itertools
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "discord"
DISCORD_EPOCH_MS = 1_420_070_400_000
MEMBER_PERMISSIONS = 2248473465835073  # @everyone's defaults: no Manage Server
MANAGE_GUILD = 1 << 5

GUILD_ID = "1290000000000000001"
HELP_CHANNEL_ID = "1290000000000000010"
GENERAL_CHANNEL_ID = "1290000000000000011"
THREAD_ID = "1290000000000000020"
BOT_ID = "1300000000000000001"  # also the application id, as for any app made since 2020


@cache
def _fixture(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


def fixture(name: str) -> dict:
    """A fresh copy of ``tests/fixtures/discord/<name>.json``."""
    return json.loads(_fixture(name))


class Snowflakes:
    """Increasing Discord ids made from the current time, like Discord's own."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._last = 0

    def __call__(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = max((ms << 22) | (next(self._counter) & 0x3FFFFF), self._last + 1)
        self._last = value
        return str(value)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class FakeUser:
    """A Discord account in the fake server."""

    id: str
    username: str
    global_name: str | None = None
    permissions: int = MEMBER_PERMISSIONS
    bot: bool = False
    dm_channel_id: str = ""

    def user(self) -> dict:
        payload = copy.deepcopy(fixture("message_create_guild")["author"])
        payload.update(id=self.id, username=self.username, global_name=self.global_name)
        if self.bot:
            payload["bot"] = True
        return payload

    def member(self, with_user: bool = False) -> dict:
        payload = fixture("message_create_guild")["member"]
        if with_user:
            payload["user"] = self.user()
            payload["permissions"] = str(self.permissions)
        return payload


def bot_user() -> dict:
    return fixture("user_me")


def ready(session_id: str, resume_url: str) -> dict:
    payload = fixture("ready")
    payload.update(session_id=session_id, resume_gateway_url=resume_url)
    return payload


def message_create(
    message_id: str,
    author: FakeUser,
    content: str,
    channel_id: str,
    *,
    guild: bool,
    mentions: list[dict],
    reference: dict | None = None,
) -> dict:
    """A user's MESSAGE_CREATE in the guild (with ``member``) or in a DM."""
    payload = fixture("message_create_guild" if guild else "message_create_dm")
    payload.update(
        id=message_id,
        nonce=message_id,
        content=content,
        channel_id=channel_id,
        author=author.user(),
        mentions=mentions,
        timestamp=now_iso(),
    )
    if guild:
        payload["member"] = author.member()
        payload["channel_type"] = 11 if channel_id == THREAD_ID else 0
    if reference is not None:
        payload.update(type=19, message_reference=reference["message_reference"])
        payload["referenced_message"] = reference["referenced_message"]
    return payload


def mention_of_bot() -> dict:
    return fixture("message_create_guild")["mentions"][0]


def bot_message(message_id: str, channel_id: str, body: dict) -> dict:
    """The message object Discord returns for a message the bot posted."""
    payload = fixture("interaction_component")["message"]
    reference = body.get("message_reference")
    payload.update(
        id=message_id,
        channel_id=channel_id,
        content=body.get("content") or "",
        embeds=body.get("embeds") or [],
        components=_with_ids(body.get("components") or []),
        flags=body.get("flags") or 0,
        timestamp=now_iso(),
        type=19 if reference else 0,
    )
    if reference:
        ids = {key: str(value) for key, value in reference.items() if key.endswith("_id")}
        payload["message_reference"] = {"type": 0, "channel_id": channel_id, **reference, **ids}
    return payload


def _with_ids(components: list[dict]) -> list[dict]:
    """Discord numbers every component in what it returns."""
    counter = itertools.count(1)

    def number(component: dict) -> dict:
        numbered = {**component, "id": component.get("id") or next(counter)}
        if "components" in numbered:
            numbered["components"] = [number(child) for child in numbered["components"]]
        return numbered

    return [number(component) for component in components]


def _place(payload: dict, user: FakeUser, channel_id: str, guild: bool) -> dict:
    """Put an interaction in the guild channel ``channel_id`` or in ``user``'s DM."""
    if guild:
        payload["member"] = user.member(with_user=True)
        payload["channel_id"] = payload["channel"]["id"] = channel_id
        if channel_id == THREAD_ID:
            payload["channel"].update(type=11, parent_id=HELP_CHANNEL_ID, name="Refund for A-1001")
        return payload
    for key in ("member", "guild", "guild_id", "guild_locale"):
        payload.pop(key, None)
    payload.update(user=user.user(), context=1, channel_id=channel_id)
    payload["authorizing_integration_owners"] = {"0": "0"}
    payload["channel"] = {
        "type": 1,
        "id": channel_id,
        "last_message_id": None,
        "flags": 0,
        "recipients": [user.user()],
    }
    return payload


def component_interaction(
    interaction_id: str, token: str, user: FakeUser, message: dict, custom_id: str, *, guild: bool
) -> dict:
    """An INTERACTION_CREATE for a button press on ``message``."""
    payload = fixture("interaction_component")
    payload.update(id=interaction_id, token=token, message=copy.deepcopy(message))
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    return _place(payload, user, message["channel_id"], guild)


def command_interaction(
    interaction_id: str,
    token: str,
    user: FakeUser,
    command: dict,
    options: list[dict],
    resolved: dict,
    channel_id: str,
    *,
    guild: bool,
) -> dict:
    """An INTERACTION_CREATE for a slash command (type 2)."""
    payload = fixture("interaction_command")
    payload.update(id=interaction_id, token=token)
    payload["data"] = {"type": 1, "name": command["name"], "id": command["id"], "options": options}
    if resolved:
        payload["data"]["resolved"] = resolved
    return _place(payload, user, channel_id, guild)


def registered_command(command_id: str, application_id: str, body: dict) -> dict:
    """A command as Discord stores it after a bulk overwrite."""
    return {
        "id": command_id,
        "application_id": application_id,
        "version": command_id,
        "type": 1,
        "description": "",
        "default_member_permissions": None,
        "dm_permission": True,
        "nsfw": False,
        "contexts": None,
        "integration_types": [0],
        "options": [],
        **body,
    }
