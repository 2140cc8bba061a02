"""The ``/usage`` application command: admins only, checked on the server, shown ephemerally."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from adapters.discord.render import usage_embed
from adapters.discord.translate import to_actor
from bot.core import SupportBot
from bot.outcomes import Notice

log = logging.getLogger("supportbot.discord")
FAILED = "Sorry, the usage report could not be built. Please try again in a moment."


def command_tree(client: discord.Client, bot: SupportBot) -> app_commands.CommandTree:
    """The client's commands. ``default_permissions`` only hides /usage in Discord's UI
    from members without Manage Server; the core checks every call (``BOT_ADMINS`` or
    Manage Server), because a server can grant the command to anyone."""
    tree = app_commands.CommandTree(client)

    @tree.command(name="usage", description="Model usage and cost (admins only)")
    @app_commands.describe(
        period="7d, 30d, today, yesterday or month (default: the last 30 days)",
        user="Only this user's usage",
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def usage(
        interaction: discord.Interaction, period: str = "", user: discord.User | None = None
    ) -> None:
        await show_usage(bot, interaction, period, user)

    return tree


async def show_usage(
    bot: SupportBot, interaction: discord.Interaction, period: str, user: discord.User | None
) -> None:
    """Acknowledge within Discord's 3 seconds, then send the report (or the refusal)."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        report = await bot.usage_report(
            to_actor(interaction, bot.settings.discord_admin_guilds),
            period,
            user_id=str(user.id) if user else None,
        )
    except Exception:
        log.exception("the usage report failed")
        await interaction.followup.send(FAILED, ephemeral=True)
        return
    if isinstance(report, Notice):
        await interaction.followup.send(report.text, ephemeral=True)
    else:
        await interaction.followup.send(embed=usage_embed(report), ephemeral=True)
