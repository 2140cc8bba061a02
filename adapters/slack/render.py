"""Block Kit for what the core hands back: replies, notices, confirmations, resolutions.

Every builder returns the keyword arguments of a ``chat.postMessage``/``chat.update`` call
(``text`` as the notification fallback plus ``blocks``). All model and user text passes
through :mod:`adapters.slack.mrkdwn`, so nothing here can ping a channel.
"""

from __future__ import annotations

from bot.outcomes import ConfirmationRequest, Notice, NoticeKind, Resolution

from .mrkdwn import SECTION_LIMIT, escape, neutralise, plain, split, to_mrkdwn

CONFIRM_ACTION = "supportbot_confirm"
CANCEL_ACTION = "supportbot_cancel"
CONFIRM_BLOCK = "supportbot_pending"  # block_id prefix; the requester's id follows a "|"
SECTIONS_PER_MESSAGE = 5  # 15,000 characters: well inside Slack's per-message limits

NOTICE_ICONS = {
    NoticeKind.HELP: ":wave:",
    NoticeKind.INVALID: ":warning:",
    NoticeKind.RATE_LIMITED: ":hourglass_flowing_sand:",
    NoticeKind.OVER_BUDGET: ":money_with_wings:",
    NoticeKind.PROVIDER_ERROR: ":hourglass_flowing_sand:",
    NoticeKind.EXPIRED: ":alarm_clock:",
    NoticeKind.FORBIDDEN: ":lock:",
}


def section(mrkdwn_text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn_text}}


def context(mrkdwn_text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn_text}]}


def reply_messages(markdown: str) -> list[dict]:
    """The model's answer as one or more messages of mrkdwn sections."""
    pieces = split(to_mrkdwn(markdown), SECTION_LIMIT)
    messages = []
    for start in range(0, len(pieces), SECTIONS_PER_MESSAGE):
        chunk = pieces[start : start + SECTIONS_PER_MESSAGE]
        messages.append({"text": plain(chunk[0]), "blocks": [section(p) for p in chunk if p]})
    return messages


def preview_message(markdown: str) -> dict:
    """A partial answer while it streams through ``chat.update`` (one section, cut)."""
    text = to_mrkdwn(markdown)
    if len(text) > SECTION_LIMIT - 2:
        text = split(text, SECTION_LIMIT - 2)[0] + " …"
    return {"text": plain(text), "blocks": [section(text or "…")]}


def working_message() -> dict:
    return {
        "text": "Working on it…",
        "blocks": [context(":hourglass_flowing_sand: _Working on it…_")],
    }


def notice_message(notice: Notice) -> dict:
    """A refusal or error, worded by the core, with an icon."""
    icon = NOTICE_ICONS.get(notice.kind, ":information_source:")
    body = f"{icon} {escape(neutralise(notice.text))}"
    return {"text": plain(notice.text), "blocks": [section(split(body)[0])]}


def confirmation_message(request: ConfirmationRequest) -> dict:
    """The summary, a red Confirm button with Slack's dialog, and Cancel; values are the id."""
    summary = escape(neutralise(request.summary))
    expires = int(request.expires_at.timestamp())
    deadline = f"<!date^{expires}^{{time}}|{request.expires_at:%H:%M UTC}>"
    dialog_text = plain(request.summary, 300)
    return {
        "text": plain(f"Please confirm: {request.summary}"),
        "blocks": [
            section(split(f":warning: *Please confirm:* {summary}")[0]),
            context(f"Only <@{request.requester_user_id}> can confirm. Expires at {deadline}."),
            {
                "type": "actions",
                "block_id": f"{CONFIRM_BLOCK}|{request.requester_user_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": CONFIRM_ACTION,
                        "text": {"type": "plain_text", "text": "Confirm"},
                        "style": "danger",
                        "value": request.pending_id,
                        "confirm": {
                            "title": {"type": "plain_text", "text": "Are you sure?"},
                            "text": {"type": "plain_text", "text": dialog_text},
                            "confirm": {"type": "plain_text", "text": "Yes, do it"},
                            "deny": {"type": "plain_text", "text": "No, go back"},
                            "style": "danger",
                        },
                    },
                    {
                        "type": "button",
                        "action_id": CANCEL_ACTION,
                        "text": {"type": "plain_text", "text": "Cancel"},
                        "value": request.pending_id,
                    },
                ],
            },
        ],
    }


RESOLUTION_LABELS = {
    "confirmed": (":white_check_mark:", "Confirmed"),
    "cancelled": (":no_entry_sign:", "Cancelled"),
    "expired": (":alarm_clock:", "Expired"),
}


def resolution_message(resolution: Resolution, decided_by_user_id: str) -> dict:
    """The button message after the decision: no buttons, the outcome and who decided."""
    icon, label = RESOLUTION_LABELS.get(resolution.status, (":information_source:", "Decided"))
    who = f" by <@{decided_by_user_id}>" if resolution.status != "expired" else ""
    outcome = f" · {escape(neutralise(resolution.result_text))}" if resolution.result_text else ""
    summary = escape(neutralise(resolution.summary))
    return {
        "text": plain(f"{label}: {resolution.summary}"),
        "blocks": [
            section(split(f"{icon} *{label}:* {summary}")[0]),
            context(split(f"{label}{who}{outcome}")[0]),
        ],
    }


def requester_from_block(block_id: str) -> str | None:
    """The requester's user id carried in the actions block (display only, never trusted)."""
    prefix, _, user_id = block_id.partition("|")
    return (user_id or None) if prefix == CONFIRM_BLOCK else None
