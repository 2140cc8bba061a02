"""``/usage``: read the slash command's text, and lay the report out in Block Kit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.report import UsageReport, cost_text, daily_series, sparkline
from bot.storage.usage import UsageRow

from .mrkdwn import SECTION_LIMIT, escape, plain
from .render import context, section

# With "Escape channels, users, and links" on (see slack/manifest.yaml), a picked user
# arrives as <@U123|name>.
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LOOSE_AT = re.compile(r"(?<!<)@(\S+)")


@dataclass(frozen=True, slots=True)
class UsageArgs:
    """The period words for the core, the user the report is narrowed to, or a problem."""

    text: str
    user_id: str | None = None
    problem: str | None = None


def parse_command_text(text: str) -> UsageArgs:
    """``7d @ada`` -> period words and Ada's id; an unresolved ``@name`` is a problem."""
    users = _USER.findall(text)
    rest = _USER.sub(" ", text)
    if loose := _LOOSE_AT.search(rest):
        return UsageArgs(
            rest,
            problem=f"I couldn't tell who @{loose.group(1)} is. Pick the person from Slack's "
            "autocomplete when you type @, e.g. `/usage 7d @Ada`.",
        )
    if len(users) > 1:
        return UsageArgs(rest, problem="Ask about one person at a time, e.g. `/usage @Ada`.")
    return UsageArgs(" ".join(rest.split()), users[0] if users else None)


def who(user_key: str) -> str:
    """``slack:U1`` as a Slack mention; other platforms' users as their plain key."""
    platform, _, user_id = user_key.partition(":")
    return f"<@{user_id}>" if platform == "slack" else escape(user_key)


def _row(label: str, row: UsageRow) -> str:
    return (
        f"{label}  {row.requests:,} requests · {row.tokens:,} tokens · "
        f"{escape(cost_text(row.cost_micros, row.unpriced_requests))}"
    )


def _lines(title: str, lines: list[str]) -> dict:
    text = f"*{title}*"
    for line in lines:
        if len(text) + len(line) + 1 > SECTION_LIMIT:
            break
        text += "\n" + line
    return section(text)


def _trend(report: UsageReport) -> dict:
    series = daily_series(report)
    values = [count for _, count in series]
    peak_day, peak = max(series, key=lambda item: item[1])
    average = sum(values) / len(values)
    line = sparkline(values)
    if len(line) > SECTION_LIMIT - 200:
        line = line[-(SECTION_LIMIT - 200) :]
    return _lines(
        "Requests per day",
        [
            f"`{line}`",
            f"{series[0][0]} → {series[-1][0]} · peak {peak:,} on {peak_day} · "
            f"average {average:,.1f} a day · last day {values[-1]:,}",
        ],
    )


def usage_message(report: UsageReport) -> dict:
    """Totals, by model, top users and the per-day trend, as an ephemeral message."""
    query = report.query
    scope = f" for {who(query.user_key)}" if query.user_key else ""
    title = f"Usage · {query.label}"
    total_cost = escape(cost_text(report.cost_micros, report.unpriced_requests))
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Requests*\n{report.requests:,}"},
                {"type": "mrkdwn", "text": f"*Tokens*\n{report.tokens:,}"},
                {"type": "mrkdwn", "text": f"*Cost*\n{total_cost}"},
            ],
        },
    ]
    if scope:
        blocks.append(context(f"Only calls made{scope}."))
    if report.requests == 0:
        blocks.append(section("No model calls in this period."))
    else:
        blocks += [
            {"type": "divider"},
            _lines("By model", [_row(f"`{escape(row.key)}`", row) for row in report.by_model]),
            _lines(
                "Top users",
                [_row(f"{n}. {who(row.key)}", row) for n, row in enumerate(report.top_users, 1)],
            ),
            _trend(report),
        ]
    blocks.append(context("Costs are estimates from the providers' published prices."))
    fallback = (
        f"{title}{scope}: {report.requests:,} requests, {report.tokens:,} tokens, {total_cost}"
    )
    return {"text": plain(fallback), "blocks": blocks}
