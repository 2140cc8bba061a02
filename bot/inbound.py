"""The one platform-free message type adapters hand to the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A user's message, translated from a platform event.

    ``workspace`` is the Slack team or Discord guild (empty for a Discord DM),
    ``thread`` the thread the conversation lives in (empty when the channel itself is
    the conversation, as in a DM). ``event_id`` is the platform's id for the event and is
    what makes a retried delivery a duplicate. ``raw`` keeps the original payload.
    """

    platform: str
    workspace: str
    channel: str
    thread: str
    user_id: str
    display_name: str
    text: str
    is_dm: bool
    event_id: str
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def user_key(self) -> str:
        """The user's identity across the bot: ``platform:user_id``."""
        return f"{self.platform}:{self.user_id}"

    @property
    def conversation_key(self) -> str:
        """Platform, workspace, channel and thread: one conversation."""
        return "/".join((self.platform, self.workspace, self.channel, self.thread))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who pressed a button or ran a command."""

    platform: str
    user_id: str
    display_name: str = ""
    is_platform_admin: bool = False  # e.g. a Slack workspace owner, a Discord Manage Server

    @property
    def user_key(self) -> str:
        """``platform:user_id``, the same key an :class:`InboundMessage` has."""
        return f"{self.platform}:{self.user_id}"
