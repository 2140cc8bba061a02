"""A Confirm / Cancel click, from acknowledgement to the model's follow-up."""

from __future__ import annotations

import logging

import discord

from adapters.discord.answer import Answer
from adapters.discord.translate import to_actor
from bot.core import SupportBot

log = logging.getLogger("supportbot.discord")


async def decide(
    bot: SupportBot, interaction: discord.Interaction, pending_id: str, confirm: bool
) -> None:
    """Acknowledge at once (Discord allows 3 seconds; the action and the model's answer can
    take longer), then let the core decide: only the requester, only once, only in time.
    A refusal is an ephemeral follow-up; a decision edits the button message."""
    try:
        await interaction.response.defer()
    except discord.InteractionResponded:
        pass
    except discord.HTTPException as exc:
        # The click was not acknowledged, so its user was told it failed: do not act on it.
        log.warning("could not acknowledge the click on %s: %s", pending_id, exc)
        return
    answer = Answer(interaction.channel, reference=interaction.message, interaction=interaction)
    await answer.render(bot.resolve(pending_id, to_actor(interaction), confirm), typing=False)
