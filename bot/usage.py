"""What a model call cost: pricing with genai-prices, the ``llm_usage`` log line."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from genai_prices import Usage as PriceUsage
from genai_prices import calc_price

log = logging.getLogger("supportbot.usage")
MICROS = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Tokens of one call. ``input_tokens`` includes cached reads and cache writes."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class UsageEntry:
    """One model call, ready to be logged and stored."""

    at: datetime
    user_key: str
    conversation_id: int | None
    provider: str
    model: str
    endpoint: str
    tokens: TokenUsage
    cost_micros: int | None  # None: price unknown
    duration_ms: int


class Pricer:
    """Prices calls with genai-prices; per-model overrides (USD per 1M tokens) win."""

    def __init__(self, overrides: dict[str, tuple[Decimal, Decimal]] | None = None) -> None:
        self._overrides = overrides or {}

    def cost_micros(self, provider: str, model: str, tokens: TokenUsage) -> int | None:
        """Cost in millionths of a USD, or None when no price is known for ``model``."""
        if model in self._overrides:
            input_price, output_price = self._overrides[model]
            usd = (tokens.input_tokens * input_price + tokens.output_tokens * output_price) / MICROS
        else:
            try:
                usd = calc_price(
                    PriceUsage(
                        input_tokens=tokens.input_tokens,
                        output_tokens=tokens.output_tokens,
                        cache_read_tokens=tokens.cache_read_tokens or None,
                        cache_write_tokens=tokens.cache_write_tokens or None,
                    ),
                    model_ref=model,
                    provider_id=provider,
                ).total_price
            except LookupError:
                return None
        return int((Decimal(usd) * MICROS).to_integral_value(ROUND_HALF_UP))


def format_usd(micros: int | None) -> str:
    """``$0.001234``-style text, or ``unknown``."""
    if micros is None:
        return "unknown"
    return f"${Decimal(micros) / MICROS:.6f}"


def log_usage(entry: UsageEntry) -> None:
    """Write the one structured ``llm_usage`` line a call produces."""
    cost = None if entry.cost_micros is None else float(Decimal(entry.cost_micros) / MICROS)
    record = {
        "event": "llm_usage",
        "provider": entry.provider,
        "model": entry.model,
        "input_tokens": entry.tokens.input_tokens,
        "output_tokens": entry.tokens.output_tokens,
        "cache_read_tokens": entry.tokens.cache_read_tokens,
        "cache_write_tokens": entry.tokens.cache_write_tokens,
        "total_tokens": entry.tokens.total_tokens,
        "estimated_cost_usd": None if cost is None else round(cost, 6),
        "price_known": cost is not None,
        "user_id": entry.user_key or "anonymous",
        "endpoint": entry.endpoint,
        "duration_ms": entry.duration_ms,
        "timestamp": entry.at.isoformat(),
    }
    log.info(json.dumps(record, separators=(",", ":")))
