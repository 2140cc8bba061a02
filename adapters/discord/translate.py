"""Discord messages and interactions -> the core's platform-free values."""

from __future__ import annotations

import re

import discord

from bot.inbound import Actor, InboundMessage

PLATFORM = "discord"
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ANSWERED_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def addressed_to(message: discord.Message, me: discord.ClientUser) -> bool:
    """Whether the bot should answer: a person's DM, or a guild message mentioning the bot.

    Bots (the bot itself included), webhooks and system messages never are. A reply to one
    of the bot's messages counts when it pings the bot (Discord's default for replies).
    """
    if message.author.bot or message.author.id == me.id or message.webhook_id is not None:
        return False
    if message.type not in _ANSWERED_TYPES:
        return False
    return message.guild is None or me in message.mentions


def message_text(message: discord.Message, me: discord.ClientUser) -> str:
    """The content without the bot's own mention; other users' mentions become ``@name``."""
    names = {user.id: user.display_name for user in message.mentions}

    def replace(match: re.Match[str]) -> str:
        user_id = int(match.group(1))
        if user_id == me.id:
            return ""
        return f"@{names[user_id]}" if user_id in names else match.group(0)

    return _USER_MENTION.sub(replace, message.content).strip()


def to_inbound(message: discord.Message, me: discord.ClientUser) -> InboundMessage | None:
    """The message as an :class:`InboundMessage`, or ``None`` when it is not for the bot.

    The conversation is the channel the message was posted in. On Discord a thread is a
    channel with its own id, and a MESSAGE_CREATE does not say whether its channel is a
    thread (discord.py only knows when the thread happens to be cached), so the id of where
    it was posted is used as ``channel`` and ``thread`` stays empty: the key never changes
    with the cache. The message id is the event id, so a replayed event is a duplicate.
    """
    if not addressed_to(message, me):
        return None
    return InboundMessage(
        platform=PLATFORM,
        workspace=str(message.guild.id) if message.guild else "",
        channel=str(message.channel.id),
        # Each person's exchange in a shared channel is its own thread of the conversation,
        # so people asking in one busy channel do not wait in one queue.
        thread=str(message.author.id) if message.guild else "",
        user_id=str(message.author.id),
        display_name=message.author.display_name,
        text=message_text(message, me),
        is_dm=message.guild is None,
        event_id=str(message.id),
        raw=message,
    )


def to_actor(interaction: discord.Interaction, admin_guilds: frozenset[str] = frozenset()) -> Actor:
    """Who clicked or ran a command. Manage Server makes a platform admin only in one of
    ``admin_guilds`` (DISCORD_ADMIN_GUILDS): the report covers the whole deployment."""
    user = interaction.user
    manages_guild = (
        str(interaction.guild_id) in admin_guilds and interaction.permissions.manage_guild
    )
    return Actor(PLATFORM, str(user.id), user.display_name, is_platform_admin=manages_guild)
