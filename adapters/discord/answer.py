"""Renders one stream of core events into a Discord channel."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import discord

from adapters.discord.buttons import decision_view
from adapters.discord.live import EDIT_INTERVAL_S, LiveReply
from adapters.discord.render import confirmation_text, resolution_text
from bot.outcomes import ConfirmationRequest, Event, Notice, Reply, Resolution, TextDelta

log = logging.getLogger("supportbot.discord")
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."


class Answer:
    """Streams the text as one reply (to ``reference`` when given), shows notices, posts
    Confirm / Cancel messages, and, for a click (``interaction``), edits the button
    message on a resolution and sends private notices ephemerally."""

    def __init__(
        self,
        channel: discord.abc.Messageable,
        *,
        reference: discord.Message | None = None,
        interaction: discord.Interaction | None = None,
        interval: float = EDIT_INTERVAL_S,
    ) -> None:
        self.channel = channel
        self.reference = reference
        self.interaction = interaction
        self.live = LiveReply(channel, reference, interval)
        self._body = ""
        self._notes: list[str] = []

    async def render(self, events: AsyncIterator[Event], *, typing: bool = True) -> None:
        """Consume ``events`` to the end; an unexpected failure becomes a short apology.

        ``typing`` shows the indicator from the start; a click shows it only once the
        action is decided and the model is writing.
        """
        confirmations: list[ConfirmationRequest] = []
        if typing:
            self.live.start_typing()
        try:
            async with contextlib.aclosing(events):
                async for event in events:
                    await self._on(event, confirmations)
        except Exception:
            log.exception("answering in channel %s failed", getattr(self.channel, "id", "?"))
            self._notes.append(SORRY)
            self._refresh()
        try:
            await self.live.close()
        finally:
            self.live.cancel()
        for request in confirmations:
            await self._ask(request)

    async def _on(self, event: Event, confirmations: list[ConfirmationRequest]) -> None:
        if isinstance(event, TextDelta):
            self._body += event.text
        elif isinstance(event, Reply):
            self._body = event.text
        elif isinstance(event, ConfirmationRequest):
            confirmations.append(event)
            return
        elif isinstance(event, Resolution):
            await self._resolved(event)
            return
        elif isinstance(event, Notice):
            if event.private and self.interaction is not None:
                await self._private(event.text)
                return
            self._notes.append(event.text)
        self._refresh()

    def _refresh(self) -> None:
        self.live.show("\n\n".join(part for part in (self._body.strip(), *self._notes) if part))

    async def _ask(self, request: ConfirmationRequest) -> None:
        reference = None
        if not self.live.started and self.reference is not None:
            reference = self.reference.to_reference(fail_if_not_exists=False)
        try:
            await self.channel.send(
                confirmation_text(request),
                view=decision_view(request.pending_id),
                reference=reference,
            )
        except discord.HTTPException:
            log.exception("could not post the confirmation for %s", request.pending_id)

    async def _resolved(self, resolution: Resolution) -> None:
        if self.interaction is None:
            return
        self.live.start_typing()
        try:
            await self.interaction.edit_original_response(
                content=resolution_text(resolution),
                view=decision_view(resolution.pending_id, disabled=True),
            )
        except discord.HTTPException:
            log.exception("could not update the button message for %s", resolution.pending_id)

    async def _private(self, text: str) -> None:
        try:
            await self.interaction.followup.send(text, ephemeral=True)
        except discord.HTTPException:
            log.exception("could not send a private notice")
