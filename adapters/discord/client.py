"""The gateway client: answers mentions and DMs, rebuilds button clicks, serves /usage."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import discord
import yarl

from adapters.discord.answer import Answer
from adapters.discord.buttons import DecisionButton
from adapters.discord.commands import command_tree
from adapters.discord.decisions import decide
from adapters.discord.sync import SyncState, sync_commands
from adapters.discord.translate import to_inbound
from bot.config import Settings
from bot.core import SupportBot

log = logging.getLogger("supportbot.discord")
DEFAULT_API_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"
RESTARTING = "I'm restarting right now. Please try again in a few seconds."


def point_at(settings: Settings) -> None:
    """Send REST calls and the gateway connection where the settings say (discord.py's
    documented class-level override points; they apply to every client in the process)."""
    discord.http.Route.BASE = (settings.discord_api_url or DEFAULT_API_URL).rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        settings.discord_gateway_url or DEFAULT_GATEWAY_URL
    )


def bot_intents() -> discord.Intents:
    """Guilds (channels, threads, permissions) and guild and DM messages. Not the privileged
    message-content intent: Discord delivers the text of DMs and of messages that mention
    the bot without it, and those are the only messages the bot answers."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    return intents


class SupportClient(discord.Client):
    """A ``discord.Client`` around one :class:`SupportBot`.

    ``sync_on_start`` registers the application commands in ``setup_hook`` when the set
    changed since the last registration (``--sync`` forces it through :meth:`sync`).
    """

    def __init__(self, bot: SupportBot, *, sync_on_start: bool = True) -> None:
        point_at(bot.settings)
        super().__init__(
            intents=bot_intents(),
            allowed_mentions=discord.AllowedMentions.none(),  # model text never pings anyone
            max_messages=None,  # nothing reads the message cache
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
        )
        self.bot = bot
        self.tree = command_tree(self, bot)
        self.sync_on_start = sync_on_start
        self._in_flight: set[asyncio.Task] = set()
        self._stopping = False
        self._shutdown: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        self.add_dynamic_items(DecisionButton)  # before any event: clicks after a restart
        if self.sync_on_start:
            try:
                await self.sync(force=False)
            except discord.HTTPException as exc:
                log.warning(
                    "could not register the application commands (%s); /usage may be missing", exc
                )

    async def sync(self, *, force: bool) -> bool:
        """Register the commands with Discord when ``force`` or changed; True when sent."""
        state = SyncState(self.bot.store.db)
        return await sync_commands(self.tree, state, self.application_id, force=force)

    async def on_ready(self) -> None:
        # Informational only: messages can arrive before this, and they are answered.
        log.info("connected to Discord as %s in %d server(s)", self.user, len(self.guilds))

    async def on_message(self, message: discord.Message) -> None:
        inbound = to_inbound(message, self.user) if self.user else None
        if inbound is None:
            return
        if self._stopping:
            await message.channel.send(
                RESTARTING, reference=message.to_reference(fail_if_not_exists=False)
            )
            return
        async with self._tracked():
            await Answer(message.channel, reference=message).render(self.bot.handle(inbound))

    async def decide(
        self, interaction: discord.Interaction, pending_id: str, confirm: bool
    ) -> None:
        """A Confirm / Cancel click (called by :class:`DecisionButton`)."""
        if self._stopping:
            await interaction.response.send_message(RESTARTING, ephemeral=True)
            return
        async with self._tracked():
            await decide(self.bot, interaction, pending_id, confirm)

    @contextlib.asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        self._in_flight.add(task)
        try:
            yield
        finally:
            self._in_flight.discard(task)

    async def wait_idle(self, within_s: float | None = None) -> bool:
        """Wait for the answers and clicks in progress; False if some outlived ``within_s``."""
        tasks = self._in_flight - {asyncio.current_task()}
        if not tasks:
            return True
        _done, pending = await asyncio.wait(tasks, timeout=within_s)
        return not pending

    def request_shutdown(self, grace_s: float = 20.0) -> asyncio.Task[None]:
        """Stop taking work, let answers in progress finish (up to ``grace_s``), then close
        the gateway cleanly. Safe to call more than once (SIGTERM, then SIGINT)."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._drain_and_close(grace_s))
        return self._shutdown

    async def _drain_and_close(self, grace_s: float) -> None:
        self._stopping = True
        if not await self.wait_idle(grace_s):
            log.warning("closing with answers still in progress after %.0f s", grace_s)
        await self.close()
