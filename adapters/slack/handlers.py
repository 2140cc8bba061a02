"""Bolt listeners: acknowledge at once, then do the work in a background task."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import SupportBot
from bot.inbound import Actor
from bot.outcomes import Event, Notice, NoticeKind

from .render import CONFIRM_ACTION, notice_message, requester_from_block
from .responder import Responder, Target
from .translate import PLATFORM, Route, is_retry, route, to_inbound
from .usage import parse_command_text, usage_message
from .users import Directory

log = logging.getLogger("supportbot.slack")
SUGGESTED_PROMPTS = [
    {"title": "Where is my order?", "message": "Where is my latest order?"},
    {"title": "My account", "message": "What plan am I on?"},
    {"title": "Talk to a person", "message": "I'd like to talk to a human agent."},
]


class Background:
    """The work started after each ack; kept so shutdown (and tests) can wait for it."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout_s: float = 10.0) -> bool:
        """Let running work finish, also work it starts; cancel what is left after
        ``timeout_s``. Returns whether everything finished in time."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._tasks:
            left = deadline - asyncio.get_running_loop().time()
            _done, pending = await asyncio.wait(set(self._tasks), timeout=max(0.0, left))
            if pending and left <= 0:
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                return False
        return True


class Handlers:
    """One listener per kind of Slack request; each acks first, then hands off to a task."""

    def __init__(self, bot: SupportBot, client: AsyncWebClient, background: Background) -> None:
        self.bot = bot
        self.client = client
        self.directory = Directory(client)
        self.background = background

    # ---- messages -------------------------------------------------------------------

    async def on_event(
        self,
        ack: AsyncAck,
        body: dict,
        event: dict,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        kind = route(event, context.bot_user_id)
        if kind is not Route.IGNORE:
            quiet = is_retry(request.headers)
            self.background.spawn(self._answer(body, event, kind, context.bot_user_id, quiet))

    async def _answer(
        self,
        body: dict,
        event: dict,
        kind: Route,
        bot_user_id: str | None,
        quiet: bool,
    ) -> None:
        message = to_inbound(body, event, kind, bot_user_id, display_name="")
        responder = Responder(self.client, Target.of(message, quiet))
        try:
            if kind is Route.THREAD and not await self.bot.takes_part_in(message):
                return
            _, user = await asyncio.gather(responder.working(), self.directory.get(message.user_id))
            message = dataclasses.replace(message, display_name=user.name)
            await responder.render(self.bot.handle(message))
        except Exception:
            log.exception("answering Slack event %s failed", message.event_id)
            await _apologise(responder)

    # ---- Confirm / Cancel -----------------------------------------------------------

    async def on_button(
        self, ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond
    ) -> None:
        await ack()
        self.background.spawn(self._decide(body, action, respond))

    async def _decide(self, body: dict, action: dict, respond: AsyncRespond) -> None:
        clicker = body["user"]["id"]
        container = body.get("container") or {}
        target = Target(
            channel=container.get("channel_id") or body["channel"]["id"],
            thread_ts=(body.get("message") or {}).get("thread_ts"),
            user_id=clicker,
            team_id=(body.get("team") or {}).get("id") or body["user"].get("team_id", ""),
        )

        async def ephemeral(message: dict) -> None:
            await respond(response_type="ephemeral", replace_original=False, **message)

        responder = Responder(
            self.client, target, ephemeral=ephemeral, origin_ts=container.get("message_ts")
        )
        try:
            user = await self.directory.get(clicker)
            actor = Actor(PLATFORM, clicker, user.name or body["user"].get("name", ""))
            confirm = action["action_id"] == CONFIRM_ACTION
            events = self.bot.resolve(action["value"], actor, confirm=confirm)
            await responder.render(_name_requester(events, action.get("block_id", "")))
        except Exception:
            log.exception("resolving pending action %s failed", action.get("value"))
            await _apologise(responder)

    # ---- /usage ---------------------------------------------------------------------

    async def on_usage(self, ack: AsyncAck, command: dict, respond: AsyncRespond) -> None:
        await ack()
        self.background.spawn(self._usage(command, respond))

    async def _usage(self, command: dict, respond: AsyncRespond) -> None:
        try:
            user_id = command["user_id"]
            listed = self.bot.settings.is_admin(PLATFORM, user_id)
            workspace_admin = not listed and (await self.directory.get(user_id)).is_admin
            actor = Actor(PLATFORM, user_id, command.get("user_name", ""), workspace_admin)
            args = parse_command_text(command.get("text", ""))
            report = await self.bot.usage_report(actor, args.text, args.user_id)
            if isinstance(report, Notice):
                message = notice_message(report)
            elif args.problem:
                message = notice_message(Notice(NoticeKind.INVALID, args.problem, private=True))
            else:
                message = usage_message(report)
            await respond(response_type="ephemeral", **message)
        except Exception:
            log.exception("/usage failed")
            await respond(
                response_type="ephemeral", text="Sorry, I couldn't build the report just now."
            )

    # ---- agent view -----------------------------------------------------------------

    async def on_thread_started(self, ack: AsyncAck, event: dict) -> None:
        await ack()
        thread = event.get("assistant_thread") or {}
        self.background.spawn(self._suggest(thread))

    async def _suggest(self, thread: dict) -> None:
        try:
            await self.client.assistant_threads_setSuggestedPrompts(
                channel_id=thread["channel_id"],
                thread_ts=thread["thread_ts"],
                prompts=SUGGESTED_PROMPTS,
            )
        except (SlackApiError, KeyError) as error:
            log.info("could not suggest prompts: %s", error)


async def _name_requester(events: AsyncIterator[Event], block_id: str) -> AsyncIterator[Event]:
    """Say who may decide as a Slack mention (the core only knows the display name)."""
    requester = requester_from_block(block_id)
    async for event in events:
        if isinstance(event, Notice) and event.kind is NoticeKind.WRONG_USER and requester:
            event = Notice(
                event.kind,
                f"Only <@{requester}> can confirm or cancel this request.",
                private=True,
            )
        yield event


async def _apologise(responder: Responder) -> None:
    try:
        await responder.sorry()
    except Exception:
        log.exception("could not even apologise in Slack")
