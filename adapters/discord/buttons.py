"""Persistent Confirm / Cancel buttons: the custom_id carries the pending action's id, so a
click after a restart is rebuilt by discord.py from the id alone (``DynamicItem``)."""

from __future__ import annotations

import re

import discord

PREFIX = "supportbot"
TEMPLATE = re.compile(rf"{PREFIX}:(?P<action>confirm|cancel):(?P<pending_id>[\w-]{{1,80}})")


def custom_id(pending_id: str, confirm: bool) -> str:
    """``supportbot:confirm:<id>`` / ``supportbot:cancel:<id>`` (Discord allows 100 characters)."""
    return f"{PREFIX}:{'confirm' if confirm else 'cancel'}:{pending_id}"


class DecisionButton(discord.ui.DynamicItem[discord.ui.Button], template=TEMPLATE):
    """Confirm or Cancel for one pending action; who may press it is the core's decision."""

    def __init__(self, pending_id: str, confirm: bool, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Confirm" if confirm else "Cancel",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=custom_id(pending_id, confirm),
                disabled=disabled,
            )
        )
        self.pending_id = pending_id
        self.confirm = confirm

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> DecisionButton:
        return cls(match["pending_id"], match["action"] == "confirm")

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.decide(interaction, self.pending_id, self.confirm)


def decision_view(pending_id: str, *, disabled: bool = False) -> discord.ui.View:
    """The two buttons under a confirmation message (disabled once it is decided)."""
    view = discord.ui.View(timeout=None)
    view.add_item(DecisionButton(pending_id, True, disabled=disabled))
    view.add_item(DecisionButton(pending_id, False, disabled=disabled))
    return view
