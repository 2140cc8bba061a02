"""How the core's outcomes look on Discord: message splitting, confirmation texts, /usage."""

from __future__ import annotations

from collections.abc import Callable

import discord
from discord.utils import escape_markdown

from adapters.text import split_text
from bot.outcomes import ConfirmationRequest, Resolution
from bot.report import UsageReport, cost_text, daily_series, sparkline
from bot.storage.usage import UsageRow

LIMIT = 2000  # Discord's message content limit
FIELD_LIMIT = 1024  # an embed field's value
SUMMARY_LIMIT = 1500


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """``text`` as Discord messages of at most ``limit`` characters (see :func:`split_text`)."""
    return split_text(text, limit)


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
