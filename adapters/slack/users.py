"""Who a Slack user is (display name, workspace admin), from ``users.info``, cached."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("supportbot.slack")


@dataclass(frozen=True, slots=True)
class SlackUser:
    """What the bot needs to know about a user."""

    id: str
    name: str
    is_admin: bool  # a workspace admin or owner


class Directory:
    """``users.info`` behind a bounded cache: names and roles change rarely, events don't."""

    def __init__(self, client: AsyncWebClient, ttl_s: float = 600.0, size: int = 10_000) -> None:
        self._client = client
        self._ttl = ttl_s
        self._size = size
        self._cache: OrderedDict[str, tuple[float, SlackUser]] = OrderedDict()

    async def get(self, user_id: str) -> SlackUser:
        """The user; on a Slack error an unnamed non-admin (the turn still goes ahead)."""
        now = time.monotonic()
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(user_id)
            return cached[1]
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as error:
            log.warning("users.info for %s failed: %s", user_id, error.response.get("error"))
            return SlackUser(user_id, "", False)
        user = to_user(user_id, response.get("user") or {})
        self._cache[user_id] = (now + self._ttl, user)
        self._cache.move_to_end(user_id)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return user


def to_user(user_id: str, data: dict) -> SlackUser:
    """A ``users.info`` user object as a :class:`SlackUser`."""
    profile = data.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or data.get("real_name")
        or data.get("name")
        or ""
    )
    return SlackUser(user_id, name, bool(data.get("is_admin") or data.get("is_owner")))
