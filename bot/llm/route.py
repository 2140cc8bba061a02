"""Which provider serves a turn, and by when: the turn's deadline and the one failover."""

from __future__ import annotations

import asyncio
import logging

from bot.llm.types import ErrorKind, ProviderError

log = logging.getLogger("supportbot")
FAILOVER_KINDS = (ErrorKind.UNAVAILABLE, ErrorKind.TIMEOUT)


class ProviderRoute:
    """The primary provider, then (once) the fallback, all within ``timeout_s``.

    With a fallback configured the primary gets the first half of the turn until it has
    streamed some text, so that a primary that hangs still leaves the fallback time to answer
    and the user never waits longer than the turn's deadline.
    """

    def __init__(self, primary: str, fallback: str | None, timeout_s: float) -> None:
        now = asyncio.get_running_loop().time()
        self.end = now + timeout_s
        self._names = [primary] + ([fallback] if fallback and fallback != primary else [])
        self.deadline = now + timeout_s / 2 if len(self._names) > 1 else self.end

    @property
    def provider(self) -> str:
        return self._names[0]

    def committed(self) -> None:
        """The current provider is answering: it may use the rest of the turn."""
        self._names = self._names[:1]
        self.deadline = self.end

    def fail_over(self, error: ProviderError) -> bool:
        """Switch to the fallback after ``error``, if there is one and the error allows it."""
        if error.kind not in FAILOVER_KINDS or len(self._names) < 2:
            return False
        log.warning(
            "%s failed (%s); handing the turn to %s", *self._names[:1], error.kind, self._names[1]
        )
        self._names.pop(0)
        self.deadline = self.end
        return True
