"""How the core's outcomes look on Discord: message splitting, confirmation texts, /usage."""

from __future__ import annotations

import re
from collections.abc import Callable

import discord
from discord.utils import escape_markdown

from bot.outcomes import ConfirmationRequest, Resolution
from bot.report import UsageReport, cost_text, daily_series, sparkline
from bot.storage.usage import UsageRow

LIMIT = 2000  # Discord's message content limit
FIELD_LIMIT = 1024  # an embed field's value
SUMMARY_LIMIT = 1500
_CLOSE_FENCE = "\n```"
_FENCE = re.compile(r"```(\w{0,20})")
_SENTENCE_ENDS = (". ", "! ", "? ")


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """``text`` as messages of at most ``limit`` characters, cut at a paragraph, line,
    sentence or word boundary; a code block cut in two is closed and reopened.

    Once the text is past the limit, each chunk depends only on the text before the next
    boundary, so while an answer streams, a filled message stops changing.
    """
    chunks: list[str] = []
    rest = text.strip()
    reopen = ""
    while rest:
        body = reopen + rest
        if len(body) <= limit:
            chunks.append(body)
            break
        end, start = _break_point(body, limit - len(_CLOSE_FENCE))
        head = body[:end].rstrip()
        language = _open_fence(head)
        if language is None:
            reopen, rest = "", body[start:].lstrip()
        else:
            head += _CLOSE_FENCE
            reopen, rest = f"```{language}\n", body[start:]
        chunks.append(head)
    return chunks


def _break_point(body: str, room: int) -> tuple[int, int]:
    """Where this chunk ends and the next begins: the last good boundary in the second
    half of the room, else a hard cut."""
    floor = room // 2
    for separators, kept in ((("\n\n",), 0), (("\n",), 0), (_SENTENCE_ENDS, 1), ((" ",), 0)):
        at = max(body.rfind(sep, floor, room - kept + len(sep)) for sep in separators)
        if at >= floor:
            return at + kept, at + len(separators[0])
    return room, room


def _open_fence(text: str) -> str | None:
    """The language of a code block left open at the end of ``text`` ("" if it has none),
    or ``None`` when every block is closed."""
    markers = list(_FENCE.finditer(text))
    if len(markers) % 2 == 0:
        return None
    last = markers[-1]
    return last.group(1) if text[last.end() : last.end() + 1] == "\n" else ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def confirmation_text(request: ConfirmationRequest) -> str:
    """The text above the Confirm / Cancel buttons."""
    who = escape_markdown(request.requester_name or "the person who asked")
    expires = int(request.expires_at.timestamp())
    return (
        f"**Please confirm:** {_clip(escape_markdown(request.summary), SUMMARY_LIMIT)}\n"
        f"Only {who} can confirm or cancel. This request expires <t:{expires}:R>."
    )


_OUTCOMES = {"confirmed": "✅ Confirmed", "cancelled": "✖️ Cancelled", "expired": "⌛ Expired"}


def resolution_text(resolution: Resolution) -> str:
    """The button message once decided: outcome, who decided, what happened."""
    outcome = _OUTCOMES.get(resolution.status, resolution.status.capitalize())
    summary = _clip(escape_markdown(resolution.summary), SUMMARY_LIMIT)
    if resolution.status == "expired":
        return f"**{outcome}:** {summary}\nNothing was done."
    lines = [f"**{outcome}** by {escape_markdown(resolution.decided_by)}: {summary}"]
    if resolution.result_text:
        lines.append(_clip(resolution.result_text, 300))
    return "\n".join(lines)


def _who(user_key: str) -> str:
    platform, _, user_id = user_key.partition(":")
    return f"<@{user_id}>" if platform == "discord" else escape_markdown(user_key)


def _rows(rows: list[UsageRow], label: Callable[[str], str] = escape_markdown) -> str:
    lines = [
        f"{label(row.key)}: {row.requests:,} requests, {row.tokens:,} tokens, "
        f"{cost_text(row.cost_micros, row.unpriced_requests)}"
        for row in rows
    ]
    return _clip("\n".join(lines), FIELD_LIMIT) or "none"


def usage_embed(report: UsageReport) -> discord.Embed:
    """The /usage report: totals, by model, top users and the per-day trend."""
    query = report.query
    who = f" for {_who(query.user_key)}" if query.user_key else ""
    embed = discord.Embed(
        title=f"Usage, {query.label}",
        description=(
            f"{who.strip() + ': ' if who else ''}**{report.requests:,}** requests, "
            f"**{report.tokens:,}** tokens, "
            f"**{cost_text(report.cost_micros, report.unpriced_requests)}**"
        ),
        colour=discord.Colour.blurple(),
    )
    if report.requests == 0:
        embed.description += "\nNo model calls in this period."
        return embed
    embed.add_field(name="By model", value=_rows(report.by_model), inline=False)
    embed.add_field(name="Top users", value=_rows(report.top_users, _who), inline=False)
    series = daily_series(report)
    counts = [count for _, count in series]
    embed.add_field(
        name="Requests per day",
        value=_clip(f"`{sparkline(counts)}` peak {max(counts):,}", FIELD_LIMIT),
        inline=False,
    )
    embed.set_footer(text=f"{series[0][0]} to {series[-1][0]}")
    return embed
