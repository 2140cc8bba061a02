"""Text for Slack: neutralise broadcast pings, Markdown -> mrkdwn, splitting past limits.

Slack's ``mrkdwn`` is not Markdown: bold is ``*x*``, italics ``_x_``, links ``<url|label>``,
and ``&``, ``<`` and ``>`` must be escaped. Anything in ``<!...>`` is a special command
(``<!here>``, ``<!channel>``, ``<!subteam^ID>``), so model output must never carry one.
"""

from __future__ import annotations

import re

from adapters.text import split_text

ZWSP = "\u200b"  # breaks "@here" so that no client turns it into a ping
BROADCASTS = ("here", "channel", "everyone")
SECTION_LIMIT = 3000  # characters of mrkdwn in one section block

_SPECIAL = re.compile(r"<!([A-Za-z]+)[^>|]*(?:\|([^>]*))?>")
_BARE_BROADCAST = re.compile(r"(?<![\w@])[@＠](here|channel|everyone)\b", re.IGNORECASE)
_ALLOWED_ANGLE = re.compile(
    r"<(?:@[UW][A-Z0-9]+|#C[A-Z0-9]+(?:\|[^>]*)?|(?:https?|mailto):[^>\s]+)>"
)
_FENCE = re.compile(r"```[^\n`]*\n?(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_LINK = re.compile(r"!?\[([^\]\n]+)\]\(((?:https?|mailto):[^)\s]+)\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+(?=\S)", re.MULTILINE)
_RULE = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$", re.MULTILINE)
_HOLD = "\x00"  # placeholder markers; never in real text (one per function, as they nest)
_KEEP = "\x01"


def neutralise(text: str) -> str:
    """Defuse ``<!here>``-style specials and bare ``@here``/``@channel``/``@everyone``.

    A special with a label (``<!subteam^S1|@support>``, ``<!date^...|Monday>``) becomes its
    label; one without becomes ``@`` + a zero-width space + its name, readable but inert.
    """

    def special(match: re.Match[str]) -> str:
        name, label = match.group(1), match.group(2)
        if label and name.lower() not in BROADCASTS:
            return label
        return f"@{ZWSP}{name}"

    text = _SPECIAL.sub(special, text)
    return _BARE_BROADCAST.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


def escape(text: str) -> str:
    """Escape Slack's control characters, keeping user/channel mentions and links."""
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"{_KEEP}{len(kept) - 1}{_KEEP}"

    text = _ALLOWED_ANGLE.sub(keep, text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(f"{_KEEP}(\\d+){_KEEP}", lambda m: kept[int(m.group(1))], text)


def to_mrkdwn(markdown: str) -> str:
    """Convert the model's Markdown to mrkdwn (code is left as it is, only escaped)."""
    text = neutralise(markdown)
    held: list[str] = []

    def hold(value: str) -> str:
        held.append(value)
        return f"{_HOLD}{len(held) - 1}{_HOLD}"

    text = _FENCE.sub(lambda m: hold("```\n" + escape(m.group(1).rstrip("\n")) + "\n```"), text)
    text = _INLINE_CODE.sub(lambda m: hold(escape(m.group(0))), text)
    text = _LINK.sub(lambda m: hold(f"<{m.group(2)}|{escape(m.group(1))}>"), text)
    text = escape(text)
    text = _RULE.sub("──────────", text)
    text = _HEADING.sub(lambda m: hold(f"*{m.group(1)}*"), text)
    text = _BOLD.sub(lambda m: hold(f"*{m.group(2)}*"), text)
    text = _ITALIC_STAR.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = _BULLET.sub(r"\1• ", text)
    while _HOLD in text:  # held pieces may contain other held pieces (bold inside a heading)
        text = re.sub(f"{_HOLD}(\\d+){_HOLD}", lambda m: held[int(m.group(1))], text)
    return text


def plain(text: str, limit: int = SECTION_LIMIT) -> str:
    """Neutralised text cut to ``limit`` characters, for notification fallbacks."""
    text = neutralise(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split mrkdwn into pieces of at most ``limit`` characters (see
    :func:`adapters.text.split_text`: boundaries first, code blocks closed and reopened)."""
    return split_text(text, limit) or [""]
