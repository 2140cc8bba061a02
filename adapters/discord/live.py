"""An answer that appears while the model writes it: one reply, edited as text arrives."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
import discord

from adapters.discord.render import split_message

log = logging.getLogger("supportbot.discord")
EDIT_INTERVAL_S = 1.0  # about one edit a second per message stays clear of Discord's limits
TYPING_REFRESH_S = 8.0  # Discord shows "typing" for about 10 seconds per request


class LiveReply:
    """Posts the text on first sight, then edits it at most once per ``interval`` seconds;
    past 2,000 characters it continues in further messages. :meth:`close` shows the final
    text at once. A typing indicator runs from :meth:`start_typing` until the first post.
    """

    def __init__(
        self,
        channel: discord.abc.Messageable,
        reference: discord.Message | None = None,
        interval: float = EDIT_INTERVAL_S,
    ) -> None:
        self._channel = channel
        self._reference = reference
        self._interval = interval
        self.messages: list[discord.Message] = []
        self._shown: list[str] = []
        self.text = ""
        self._changed = asyncio.Event()
        self._closed = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._typing: asyncio.Task[None] | None = None
        self._failed = False

    @property
    def started(self) -> bool:
        """Whether anything has been posted yet."""
        return bool(self.messages)

    def start_typing(self) -> None:
        if self._typing is None and not self.messages:
            self._typing = asyncio.create_task(self._keep_typing())

    def show(self, text: str) -> None:
        """Make ``text`` the answer so far (shown now, or at the next allowed edit)."""
        self.text = text
        self._changed.set()
        if self._pump is None and text.strip():
            self._pump = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Show the final text without waiting for the throttle, then stop."""
        self._closed.set()
        self._changed.set()
        if self._pump is None and self.text.strip():
            self._pump = asyncio.create_task(self._run())
        try:
            if self._pump is not None:
                await self._pump
        finally:
            self._stop_typing()

    def cancel(self) -> None:
        """Stop everything (the turn failed before :meth:`close`)."""
        self._stop_typing()
        if self._pump is not None:
            self._pump.cancel()

    async def _run(self) -> None:
        while True:
            self._changed.clear()
            await self._render()
            if self._closed.is_set() and not self._changed.is_set():
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._closed.wait()  # a close cuts the wait short
            await self._changed.wait()

    async def _render(self) -> None:
        if self._failed:
            return
        try:
            for index, chunk in enumerate(split_message(self.text)):
                if index == len(self.messages):
                    await self._post(chunk)
                elif self._shown[index] != chunk:
                    self.messages[index] = await self.messages[index].edit(content=chunk)
                    self._shown[index] = chunk
        except (discord.Forbidden, discord.NotFound) as exc:
            # Missing permissions or a deleted channel: retrying would only repeat it.
            self._failed = True
            log.warning("could not post the answer in channel %s: %s", self._channel_id(), exc)
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            # A passing failure: the next edit (or the final one at close) tries again.
            log.warning("could not update the answer in channel %s: %s", self._channel_id(), exc)

    async def _post(self, chunk: str) -> None:
        reference = None
        if not self.messages and self._reference is not None:
            reference = self._reference.to_reference(fail_if_not_exists=False)
        self._stop_typing()
        self.messages.append(await self._channel.send(chunk, reference=reference))
        self._shown.append(chunk)

    async def _keep_typing(self) -> None:
        while True:
            try:
                await self._channel.typing()
            except discord.HTTPException as exc:
                log.debug("typing indicator failed: %s", exc)
                return
            await asyncio.sleep(TYPING_REFRESH_S)

    def _stop_typing(self) -> None:
        if self._typing is not None:
            self._typing.cancel()
            self._typing = None

    def _channel_id(self) -> object:
        return getattr(self._channel, "id", "?")
