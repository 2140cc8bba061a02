"""The terminal adapter: one line in, the answer out; confirmations are a y/n prompt."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import AsyncIterator
from typing import TextIO

from bot.config import Settings
from bot.core import SupportBot
from bot.inbound import Actor, InboundMessage
from bot.outcomes import ConfirmationRequest, Event, Notice, Reply, Resolution, TextDelta
from bot.report import render_text

PLATFORM = "console"
USER_ID = "local"


def to_inbound(text: str, display_name: str) -> InboundMessage:
    return InboundMessage(
        platform=PLATFORM,
        workspace="local",
        channel="terminal",
        thread="",
        user_id=USER_ID,
        display_name=display_name,
        text=text,
        is_dm=True,
        event_id="",
    )


class Console:
    """Drives a :class:`SupportBot` from text streams (stdin/stdout, or a test's)."""

    def __init__(self, bot: SupportBot, lines: AsyncIterator[str], out: TextIO, name: str) -> None:
        self.bot = bot
        self.lines = lines
        self.out = out
        self.name = name
        self.actor = Actor(PLATFORM, USER_ID, name, is_platform_admin=True)

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    async def run(self) -> None:
        self.write(f"{self.bot.company.name} support (Ctrl-D to quit, /usage for the report)\n")
        async for line in self.lines:
            text = line.strip()
            if not text:
                continue
            if text.split()[0] == "/usage":
                await self.usage(text.removeprefix("/usage"))
            else:
                await self.render(self.bot.handle(to_inbound(text, self.name)))

    async def usage(self, args: str) -> None:
        report = await self.bot.usage_report(self.actor, args.strip())
        self.write((report.text if isinstance(report, Notice) else render_text(report)) + "\n")

    async def render(self, events: AsyncIterator[Event]) -> None:
        streamed = False
        pending: list[ConfirmationRequest] = []
        async for event in events:
            if isinstance(event, TextDelta):
                if not streamed:
                    self.write("bot> ")
                streamed = True
                self.write(event.text)
            elif isinstance(event, Reply):
                self.write("\n" if streamed else f"bot> {event.text}\n")
                streamed = False
            elif isinstance(event, Notice):
                self.write(f"bot> {event.text}\n")
            elif isinstance(event, Resolution):
                self.write(
                    f"[{event.status}: {event.summary}{' - ' + event.result_text if event.result_text else ''}]\n"
                )
            elif isinstance(event, ConfirmationRequest):
                pending.append(event)
        for request in pending:
            await self.confirm(request)

    async def confirm(self, request: ConfirmationRequest) -> None:
        self.write(f"Confirm: {request.summary}? [y/n] ")
        answer = await anext(self.lines, "n")
        confirmed = answer.strip().lower() in ("y", "yes")
        await self.render(self.bot.resolve(request.pending_id, self.actor, confirmed))


async def stdin_lines() -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        yield line


async def _main(settings: Settings) -> None:
    bot = await SupportBot.open(settings)
    try:
        await Console(bot, stdin_lines(), sys.stdout, getpass.getuser()).run()
    finally:
        await bot.close()


def run(settings: Settings) -> int:
    logging.getLogger().setLevel(logging.WARNING)  # keep the terminal for the conversation
    asyncio.run(_main(settings))
    return 0
