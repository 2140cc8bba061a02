"""Cutting long answers into platform-sized messages (shared by the adapters).

No platform SDK here: each adapter passes its own limit.
"""

from __future__ import annotations

import re

_CLOSE_FENCE = "\n```"
_FENCE = re.compile(r"```(\w{0,20})")
_SENTENCE_ENDS = (". ", "! ", "? ")


def split_text(text: str, limit: int) -> list[str]:
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
