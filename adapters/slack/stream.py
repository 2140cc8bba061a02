"""Showing an answer while the model writes it.

:class:`ChatStreamReply` uses Slack's text streaming (``chat.startStream`` /
``appendStream`` / ``stopStream`` through slack_sdk's ``chat_stream``), which renders
standard Markdown. Where Slack refuses it (no thread to stream into, an older workspace, a
stream that expired), :class:`UpdateReply` edits one message with ``chat.update``, at most
about once a second (Tier 3), and posts the final text as mrkdwn sections.
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_chat_stream import AsyncChatStream
from slack_sdk.web.async_client import AsyncWebClient

from .mrkdwn import BROADCASTS, neutralise
from .render import preview_message, reply_messages

log = logging.getLogger("supportbot.slack")
FLUSH_INTERVAL_S = 1.0  # between updates of one message
FIRST_FLUSH_CHARS, FIRST_FLUSH_S = 256, 0.25  # when a stream starts (256: slack_sdk's buffer)
STREAM_LIMIT = 11_000  # characters per streamed message (Slack takes 12,000 of Markdown)
_LONGEST_SPECIAL = 120  # a "<!...>" longer than this is not one


class SafeText:
    """Releases streamed text only where no ``<!here>``/``@here`` can be half-written,
    so every released piece can be neutralised on its own."""

    def __init__(self) -> None:
        self.raw = ""
        self._sent = 0

    def add(self, text: str) -> None:
        self.raw += text

    def take(self, final: bool = False) -> str:
        cut = len(self.raw) if final else self._cut()
        piece = self.raw[self._sent : cut]
        self._sent = cut
        return neutralise(piece)

    def _cut(self) -> int:
        floor = max(self._sent, len(self.raw) - _LONGEST_SPECIAL)
        angle = self.raw.rfind("<", floor)
        if angle != -1 and ">" not in self.raw[angle:]:
            return angle
        at = max(self.raw.rfind("@", floor), self.raw.rfind("＠", floor))
        word = self.raw[at + 1 :].lower() if at != -1 else None
        if word is not None and any(b.startswith(word) and b != word for b in BROADCASTS):
            return at
        return len(self.raw)


class UpdateReply:
    """One message edited in place as text arrives; the final text as mrkdwn."""

    def __init__(
        self, client: AsyncWebClient, channel: str, thread_ts: str | None, ts: str | None = None
    ) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.ts = ts  # the placeholder (or expired stream) to edit; None: post on first show
        self.text = ""
        self._shown = -FLUSH_INTERVAL_S

    async def append(self, text: str) -> None:
        self.text += text
        if time.monotonic() - self._shown >= FLUSH_INTERVAL_S:
            await self._show(preview_message(self.text))

    async def finish(self) -> None:
        first, *rest = reply_messages(self.text)
        await self._show(first)
        for message in rest:
            await self.client.chat_postMessage(
                channel=self.channel, thread_ts=self.thread_ts, unfurl_links=False, **message
            )

    async def _show(self, message: dict) -> None:
        if self.ts is None:
            response = await self.client.chat_postMessage(
                channel=self.channel, thread_ts=self.thread_ts, unfurl_links=False, **message
            )
            self.ts = response["ts"]
        else:
            await self.client.chat_update(channel=self.channel, ts=self.ts, **message)
        self._shown = time.monotonic()


class ChatStreamReply:
    """Slack's native text stream in a thread, falling back to :class:`UpdateReply`.

    The stream starts once there are ``FIRST_FLUSH_CHARS`` or ``FIRST_FLUSH_S`` have passed
    (the thread status shows work meanwhile); an answer complete before that is posted as
    one message, which is one Web API call instead of two.
    """

    def __init__(
        self, client: AsyncWebClient, channel: str, thread_ts: str, user_id: str, team_id: str
    ) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.recipient = {"recipient_user_id": user_id, "recipient_team_id": team_id}
        self.text = ""  # everything appended, as the model wrote it
        self._safe = SafeText()
        self._stream: AsyncChatStream | None = None
        self._message_text = ""  # the raw text in the current streamed message
        self._began = 0.0  # when the current message's first text arrived
        self._flushed = 0.0
        self._fallback: UpdateReply | None = None

    async def append(self, text: str) -> None:
        self.text += text
        for start in range(0, len(text), STREAM_LIMIT):
            await self._append(text[start : start + STREAM_LIMIT])

    async def finish(self) -> None:
        if self._fallback is None:
            await self._guarded(self._stop())
        if self._fallback is not None:
            await self._fallback.finish()

    async def _append(self, text: str) -> None:
        if self._stream is not None and len(self._message_text) + len(text) > STREAM_LIMIT:
            await self.finish()  # this message is full: the rest goes into a new one
            self._stream, self._fallback, self._safe, self._message_text = (
                None,
                None,
                SafeText(),
                "",
            )
        if self._fallback is not None:
            await self._fallback.append(text)
            return
        now = time.monotonic()
        if not self._message_text:
            self._began = now
        self._safe.add(text)
        self._message_text += text
        if self._stream is None:
            due = len(self._message_text) >= FIRST_FLUSH_CHARS or now - self._began >= FIRST_FLUSH_S
        else:
            due = now - self._flushed >= FLUSH_INTERVAL_S
        if due:
            await self._guarded(self._flush())

    async def _flush(self) -> None:
        piece = self._safe.take()
        if piece:
            stream = self._stream or await self._open()
            await stream.append(markdown_text=piece)
            self._flushed = time.monotonic()

    async def _open(self) -> AsyncChatStream:
        self._stream = await self.client.chat_stream(
            channel=self.channel, thread_ts=self.thread_ts, buffer_size=1, **self.recipient
        )
        return self._stream

    async def _stop(self) -> None:
        piece = self._safe.take(final=True)
        if self._stream is not None:
            await self._stream.stop(markdown_text=piece or None)  # the last words ride along
        elif piece:
            await self.client.chat_postMessage(
                channel=self.channel,
                thread_ts=self.thread_ts,
                markdown_text=piece,
                unfurl_links=False,
                unfurl_media=False,
            )

    async def _guarded(self, step) -> None:  # noqa: ANN001 (a coroutine)
        try:
            await step
        except SlackApiError as error:
            reason = error.response.get("error")
            log.info("text streaming unavailable (%s); editing a message instead", reason)
            ts = self._stream.ts if self._stream is not None else None
            self._fallback = UpdateReply(self.client, self.channel, self.thread_ts, ts)
            await self._fallback.append(self._message_text)
