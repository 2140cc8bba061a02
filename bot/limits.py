"""Per-user rate limits (aiolimiter) and the spend guards.

Limiters are kept per ``platform:user_id`` and evicted once idle for longer than their
period: a leaky bucket left alone that long has drained to empty, so forgetting it
changes nothing, and memory stays bounded however many users pass through.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from aiolimiter import AsyncLimiter

from bot.storage.usage import Spend
from bot.usage import MICROS


@dataclass(frozen=True, slots=True)
class LimitVerdict:
    """Allowed, or refused with the user-facing reason and when to try again."""

    allowed: bool
    reason: str = ""
    retry_after_s: int | None = None


ALLOW = LimitVerdict(True)


class UserRateLimiter:
    """``per_minute`` model requests a minute for each user; premium users have their own rate."""

    def __init__(self, per_minute: int, premium_per_minute: int, period_s: float = 60.0) -> None:
        self._rates = {False: per_minute, True: premium_per_minute}
        self._period = period_s
        self._buckets: OrderedDict[tuple[str, bool], tuple[AsyncLimiter, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    async def check(self, user_key: str, premium: bool) -> LimitVerdict:
        """Take one request from the user's bucket, or say how long to wait."""
        now = time.monotonic()
        self._evict_idle(now)
        key = (user_key, premium)
        entry = self._buckets.pop(key, None)
        limiter = entry[0] if entry else AsyncLimiter(self._rates[premium], self._period)
        self._buckets[key] = (limiter, now)  # most recently used goes last
        if not limiter.has_capacity():
            # Refused means the bucket is less than one request from draining enough, and
            # one request drains in period/rate seconds: an honest upper bound.
            wait = max(1, math.ceil(limiter.time_period / limiter.max_rate))
            return LimitVerdict(
                False,
                f"You're sending messages faster than I can answer. Please wait {wait} seconds "
                "and try again.",
                retry_after_s=wait,
            )
        await limiter.acquire()  # capacity was just checked: this does not wait
        return ALLOW

    def _evict_idle(self, now: float) -> None:
        while self._buckets:
            key, (_, last_seen) = next(iter(self._buckets.items()))
            if now - last_seen <= self._period:
                break
            del self._buckets[key]


def check_spend(spend: Spend, daily_token_cap: int, monthly_cost_cap_usd: Decimal) -> LimitVerdict:
    """The per-user daily token cap and the global monthly cost cap (0 turns a cap off)."""
    if daily_token_cap and spend.user_tokens_today >= daily_token_cap:
        return LimitVerdict(
            False,
            "You've reached today's usage limit for the assistant. It resets at midnight UTC; "
            "for anything urgent, ask for a human agent.",
        )
    if (
        monthly_cost_cap_usd
        and Decimal(spend.global_cost_micros_month) >= monthly_cost_cap_usd * MICROS
    ):
        return LimitVerdict(
            False,
            "The assistant has reached its budget for this month, so it can't answer right now. "
            "A human agent can still help you.",
        )
    return ALLOW
