"""One turn at a time per conversation.

The in-process implementation is enough for one bot process; the protocol is what a
shared (Redis or database) lock implements for several instances. The atomic parts that
must hold across instances (dedupe, confirmations) are enforced by the database anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


class ConversationLocks(Protocol):
    """Serialises the turns of one conversation."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]: ...


class LocalLocks:
    """An ``asyncio.Lock`` per conversation, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
