"""The ``/usage`` report: parse the period, aggregate, render a plain-text summary."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.storage.usage import UsageRow, UsageStore
from bot.usage import format_usd

DEFAULT_DAYS = 30
_DAYS = re.compile(r"^(\d{1,3})d$")


@dataclass(frozen=True, slots=True)
class UsageQuery:
    """What the admin asked for: a period and, optionally, one user."""

    since: datetime
    until: datetime
    label: str
    user_key: str | None = None


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Totals, by model, top users and the per-day trend for one :class:`UsageQuery`."""

    query: UsageQuery
    requests: int
    tokens: int
    cost_micros: int
    unpriced_requests: int
    by_model: list[UsageRow]
    top_users: list[UsageRow]
    by_day: list[UsageRow]


def parse_usage_args(
    text: str, now: datetime, platform: str, user_id: str | None = None
) -> UsageQuery | str:
    """``7d``, ``today``, ``yesterday``, ``month`` (default 30 days); a user id the adapter
    extracted from a mention narrows it to one user. Returns an error string when unreadable."""
    start_of_today = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    words = [word for word in text.lower().split() if not word.startswith(("<@", "@"))]
    since, label = now - timedelta(days=DEFAULT_DAYS), f"last {DEFAULT_DAYS} days"
    for word in words:
        if match := _DAYS.match(word):
            days = int(match.group(1))
            if not 1 <= days <= 366:
                return "Pick a period between 1d and 366d."
            since, label = now - timedelta(days=days), f"last {days} days"
        elif word == "today":
            since, label = start_of_today, "today"
        elif word == "yesterday":
            since, label = start_of_today - timedelta(days=1), "yesterday"
            now = start_of_today
        elif word in ("month", "this-month"):
            since, label = start_of_today.replace(day=1), "this month"
        else:
            return f"I don't understand {word!r}. Try `/usage`, `/usage 7d`, `/usage today` or `/usage @someone`."
    user_key = f"{platform}:{user_id}" if user_id else None
    return UsageQuery(since=since, until=now + timedelta(seconds=1), label=label, user_key=user_key)


async def build_report(usage: UsageStore, query: UsageQuery, top: int = 5) -> UsageReport:
    """Aggregate usage records for the query (three grouped queries)."""
    by_model = await usage.aggregate("model", query.since, query.until, query.user_key)
    by_user = await usage.aggregate("user_key", query.since, query.until, query.user_key)
    by_day = await usage.aggregate("day", query.since, query.until, query.user_key)
    top_users = sorted(by_user, key=lambda row: (row.cost_micros, row.tokens), reverse=True)[:top]
    return UsageReport(
        query=query,
        requests=sum(row.requests for row in by_model),
        tokens=sum(row.tokens for row in by_model),
        cost_micros=sum(row.cost_micros for row in by_model),
        unpriced_requests=sum(row.unpriced_requests for row in by_model),
        by_model=sorted(by_model, key=lambda row: row.cost_micros, reverse=True),
        top_users=top_users,
        by_day=by_day,
    )


def cost_text(micros: int, unpriced: int) -> str:
    """A cost, saying plainly when some calls had no known price."""
    text = format_usd(micros)
    return f"{text} (+{unpriced} calls at unknown price)" if unpriced else text


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    """A one-line trend: one block per day, height by value."""
    if not values:
        return ""
    peak = max(values) or 1
    return "".join(
        SPARKS[min(len(SPARKS) - 1, value * (len(SPARKS) - 1) // peak)] for value in values
    )


def daily_series(report: UsageReport) -> list[tuple[str, int]]:
    """Requests per day over the whole period, zero-filled."""
    counts = {row.key: row.requests for row in report.by_day}
    day = report.query.since.date()
    last = (report.query.until - timedelta(seconds=1)).date()
    series = []
    while day <= last:
        series.append((day.isoformat(), counts.get(day.isoformat(), 0)))
        day += timedelta(days=1)
    return series


def render_text(report: UsageReport) -> str:
    """The report as plain text (the terminal; adapters may render their own layout)."""
    who = f" for {report.query.user_key}" if report.query.user_key else ""
    lines = [
        f"Usage{who}, {report.query.label}:",
        f"  {report.requests:,} requests, {report.tokens:,} tokens, "
        f"{cost_text(report.cost_micros, report.unpriced_requests)}",
    ]
    if report.requests == 0:
        lines.append("  No model calls in this period.")
        return "\n".join(lines)
    lines.append("By model:")
    lines += [
        f"  {row.key}: {row.requests:,} requests, {row.tokens:,} tokens, "
        f"{cost_text(row.cost_micros, row.unpriced_requests)}"
        for row in report.by_model
    ]
    lines.append("Top users:")
    lines += [
        f"  {row.key}: {row.requests:,} requests, {row.tokens:,} tokens, "
        f"{cost_text(row.cost_micros, row.unpriced_requests)}"
        for row in report.top_users
    ]
    series = daily_series(report)
    lines.append(
        f"Requests per day ({series[0][0]} to {series[-1][0]}): {sparkline([n for _, n in series])} "
        f"(peak {max(n for _, n in series):,})"
    )
    return "\n".join(lines)
