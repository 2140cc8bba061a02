"""Renders the core's events into one Slack conversation (a thread, or a DM)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbound import InboundMessage
from bot.outcomes import ConfirmationRequest, Event, Notice, Reply, Resolution, TextDelta

from .render import (
    confirmation_message,
    notice_message,
    reply_messages,
    resolution_message,
    working_message,
)
from .stream import ChatStreamReply, UpdateReply

log = logging.getLogger("supportbot.slack")
Ephemeral = Callable[[dict], Awaitable[object]]
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."


@dataclass(frozen=True, slots=True)
class Target:
    """Where answers go and for whom. ``thread_ts`` is None for a DM's top level;
    ``quiet`` (a redelivered event) shows no working indicator, as the first delivery did."""

    channel: str
    thread_ts: str | None
    user_id: str
    team_id: str
    quiet: bool = False

    @classmethod
    def of(cls, message: InboundMessage, quiet: bool = False) -> Target:
        return cls(
            message.channel, message.thread or None, message.user_id, message.workspace, quiet
        )


class Responder:
    """Shows work at once, streams text, posts notices, buttons and resolutions."""

    def __init__(
        self,
        client: AsyncWebClient,
        target: Target,
        *,
        ephemeral: Ephemeral | None = None,
        origin_ts: str | None = None,
    ) -> None:
        self.client = client
        self.target = target
        self._ephemeral = ephemeral or self._post_ephemeral
        self.origin_ts = origin_ts  # the button message a Resolution updates
        self._status = False
        self._placeholder: str | None = None
        self._stream: ChatStreamReply | UpdateReply | None = None
        self._visible = False

    async def working(self) -> None:
        """A status in the thread where Slack allows it, else a placeholder message."""
        if self.target.quiet:
            return
        if self.target.thread_ts:
            try:
                await self.client.assistant_threads_setStatus(
                    channel_id=self.target.channel,
                    thread_ts=self.target.thread_ts,
                    status="is thinking…",
                )
                self._status = True
                return
            except SlackApiError as error:
                log.info(
                    "no thread status (%s); posting a placeholder", error.response.get("error")
                )
        response = await self._send(working_message())
        self._placeholder = response["ts"]

    async def render(self, events: AsyncIterator[Event]) -> None:
        """Everything the core yields for one turn (or one button click)."""
        try:
            # aclosing: if rendering fails, the core's turn still ends (and releases the
            # conversation) now, not whenever the generator is collected.
            async with contextlib.aclosing(events):
                async for event in events:
                    await self._render(event)
        finally:
            await self._close()

    async def _render(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            await self._open_stream().append(event.text)
        elif isinstance(event, Reply):
            await self._reply(event.text)
        elif isinstance(event, ConfirmationRequest):
            await self._end_stream()
            await self._post(confirmation_message(event))
        elif isinstance(event, Notice):
            await self._end_stream()
            if event.private:
                await self._ephemeral(notice_message(event))
            else:
                await self._post(notice_message(event))
        elif isinstance(event, Resolution):
            await self._end_stream()
            await self._resolve(event)

    async def sorry(self) -> None:
        """Tell the user something broke (the error itself is in the log)."""
        try:
            await self._end_stream()
        except SlackApiError:
            self._stream = None
        await self._post({"text": SORRY})

    # ---- pieces ---------------------------------------------------------------------

    def _open_stream(self) -> ChatStreamReply | UpdateReply:
        if self._stream is None:
            target = self.target
            if self._placeholder is not None:
                self._stream = UpdateReply(
                    self.client, target.channel, target.thread_ts, self._placeholder
                )
                self._placeholder = None
            elif target.thread_ts:
                self._stream = ChatStreamReply(
                    self.client, target.channel, target.thread_ts, target.user_id, target.team_id
                )
            else:
                self._stream = UpdateReply(self.client, target.channel, None)
            self._visible = True
        return self._stream

    async def _reply(self, text: str) -> None:
        streamed = self._stream.text if self._stream is not None else ""
        if self._stream is not None and text.startswith(streamed):
            await self._stream.append(text[len(streamed) :])
            await self._end_stream()
            return
        await self._end_stream()
        for message in reply_messages(text):
            await self._post(message)

    async def _end_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.finish()

    async def _resolve(self, resolution: Resolution) -> None:
        if self.origin_ts is not None:
            message = resolution_message(resolution, self.target.user_id)
            await self.client.chat_update(channel=self.target.channel, ts=self.origin_ts, **message)
        await self.working()  # the model writes its follow-up next

    async def _post(self, message: dict) -> None:
        """Into the placeholder if one is waiting, else a new message in the conversation."""
        if self._placeholder is not None:
            ts, self._placeholder = self._placeholder, None
            await self.client.chat_update(channel=self.target.channel, ts=ts, **message)
        else:
            await self._send(message)
        self._visible = True

    async def _send(self, message: dict) -> dict:
        return await self.client.chat_postMessage(
            channel=self.target.channel,
            thread_ts=self.target.thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **message,
        )

    async def _post_ephemeral(self, message: dict) -> None:
        await self.client.chat_postEphemeral(
            channel=self.target.channel,
            user=self.target.user_id,
            thread_ts=self.target.thread_ts,
            **message,
        )

    async def _close(self) -> None:
        """Finish what is open; take back a placeholder or status nothing followed."""
        await self._end_stream()
        try:
            if self._placeholder is not None:
                ts, self._placeholder = self._placeholder, None
                await self.client.chat_delete(channel=self.target.channel, ts=ts)
            if self._status and not self._visible:
                await self.client.assistant_threads_setStatus(
                    channel_id=self.target.channel, thread_ts=self.target.thread_ts or "", status=""
                )
        except SlackApiError as error:  # tidying up; the answer itself is out
            log.info("could not tidy up after the answer: %s", error.response.get("error"))
        self._status = False
