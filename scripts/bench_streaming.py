"""Streaming benchmark, through the real SDKs and the fake model over loopback HTTP.

(a) First character: for each turn, the time from the fake model writing its first SSE
    byte (and its first text) to the core yielding the first TextDelta; p50 and p99.
    Target: p50 under 5 ms.
(b) Many at once: 500 conversations in flight together while the model (the fake, in its
    own process, so it does not share the bot's event loop) takes 2 s per reply; the spread
    of finish times, turns per second and the event loop's worst lag. Target: all finish
    within 3 s of the first.

    python scripts/bench_streaming.py [--turns 200] [--conversations 500] [--delay 2]

``run(args) -> dict`` is what ``scripts/bench_core.py`` calls (with ``default_args()``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bot.config import load_settings  # noqa: E402
from bot.core import SupportBot  # noqa: E402
from bot.inbound import InboundMessage  # noqa: E402
from bot.outcomes import Reply, TextDelta  # noqa: E402

from fake_llm import FakeLLM, Say  # noqa: E402

PROVIDERS = ("openai", "anthropic")
WARM_UP_TURNS = 20


def parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(description="supportbot streaming benchmark")
    options.add_argument("--turns", type=int, default=200, help="turns timed in (a)")
    options.add_argument("--conversations", type=int, default=500, help="in flight in (b)")
    options.add_argument("--delay", type=float, default=2.0, help="model seconds per reply (b)")
    options.add_argument("--providers", default=",".join(PROVIDERS))
    return options


def default_args() -> argparse.Namespace:
    return parser().parse_args([])


def message(user: str, thread: str, text: str = "Hello there") -> InboundMessage:
    return InboundMessage(
        platform="bench", workspace="W", channel="C", thread=thread, user_id=user,
        display_name=f"User {user}", text=text, is_dm=False, event_id=f"{thread}-{time.time_ns()}",
    )  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def open_bot(folder: Path, provider: str, base_url: str) -> SupportBot:
    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{folder / f'{provider}.db'}",
        llm_provider=provider,
        openai_base_url=f"{base_url}/v1",
        openai_api_key="sk-bench",
        anthropic_base_url=base_url,
        anthropic_api_key="sk-ant-bench",
        rate_limit_per_minute=1_000_000,
        premium_rate_limit_per_minute=1_000_000,
        daily_token_cap_per_user=0,
        monthly_cost_cap_usd=0,
    )
    return await SupportBot.open(settings)


# ---- (a) time to the first streamed character --------------------------------------


async def first_delta(bot: SupportBot, fake: FakeLLM, thread: str) -> tuple[float, float]:
    """One turn: ms from the fake's first byte, and from its first text, to the first delta."""
    # A gap between pieces, as a real model has, so the fake yields after the first one.
    fake.push(Say("Sure, here is a streamed answer for you.", chunks=4, gap_s=0.005))
    seen: float | None = None
    async for event in bot.handle(message("U1", thread)):
        if seen is None and isinstance(event, TextDelta):
            seen = time.perf_counter()
    mark = fake.marks[-1]
    assert seen is not None and mark.first_text is not None
    return (seen - mark.first_byte) * 1000, (seen - mark.first_text) * 1000


async def first_character(provider: str, turns: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        async with FakeLLM() as fake:
            bot = await open_bot(Path(folder), provider, fake.anthropic_url)
            try:
                for number in range(WARM_UP_TURNS):
                    await first_delta(bot, fake, f"warm-{number}")
                timed = [await first_delta(bot, fake, f"t-{n}") for n in range(turns)]
            finally:
                await bot.close()
    from_byte = [byte for byte, _ in timed]
    from_text = [text for _, text in timed]
    return {
        "turns": turns,
        "first_byte_to_first_delta_ms": {
            "p50": round(statistics.median(from_byte), 3),
            "p99": round(percentile(from_byte, 0.99), 3),
        },
        "first_text_to_first_delta_ms": {
            "p50": round(statistics.median(from_text), 3),
            "p99": round(percentile(from_text, 0.99), 3),
        },
        "target_p50_ms": 5,
        "met": statistics.median(from_byte) < 5,
    }


# ---- (b) many conversations in flight ----------------------------------------------


class FakeProcess:
    """``scripts/fake_llm.py --delay`` in a subprocess on a free port."""

    def __init__(self, delay_s: float) -> None:
        script = Path(__file__).resolve().parent / "fake_llm.py"
        self._process = subprocess.Popen(
            [sys.executable, str(script), "--port", "0", "--delay", str(delay_s)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        line = self._process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if found is None:
            self.stop()
            raise RuntimeError(f"the fake model did not start: {line!r}")
        self.url = f"http://127.0.0.1:{found.group(1)}"

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


async def loop_lag(stop: asyncio.Event, lags: list[float], tick_s: float = 0.01) -> None:
    """How late a 10 ms sleep wakes up: the event loop's blocking, made visible."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        await asyncio.sleep(tick_s)
        lags.append(loop.time() - started - tick_s)


async def one_turn(bot: SupportBot, user: str, started: float) -> float:
    replied = False
    async for event in bot.handle(message(user, f"thread-{user}", "Hi, can you help me?")):
        replied = replied or isinstance(event, Reply)
    if not replied:
        raise RuntimeError(f"conversation {user} ended without a reply")
    return time.perf_counter() - started


async def burst(bot: SupportBot, conversations: int) -> dict:
    lags: list[float] = []
    stop = asyncio.Event()
    monitor = asyncio.create_task(loop_lag(stop, lags))
    started = time.perf_counter()
    finished = await asyncio.gather(
        *(one_turn(bot, f"U{number}", started) for number in range(conversations))
    )
    stop.set()
    await monitor
    first, last = min(finished), max(finished)
    return {
        "first_finished_s": round(first, 3),  # all counted from the moment all were sent
        "last_finished_s": round(last, 3),
        "spread_s": round(last - first, 3),
        "turns_per_s": round(conversations / last, 1),
        "loop_lag_ms": {
            "p50": round(statistics.median(lags or [0]) * 1000, 1),
            "p99": round(percentile(lags or [0], 0.99) * 1000, 1),
            "max": round(max(lags, default=0) * 1000, 1),
        },
        "met": last - first <= 3.0,
    }


async def in_flight(provider: str, conversations: int, delay_s: float) -> dict:
    fake = FakeProcess(delay_s)
    try:
        with tempfile.TemporaryDirectory() as folder:
            bot = await open_bot(Path(folder), provider, fake.url)
            try:
                await one_turn(bot, "warm-up", time.perf_counter())  # the SDK client's first use
                return {
                    "conversations": conversations,
                    "model_delay_s": delay_s,
                    "first_contact": await burst(bot, conversations),  # new users, new threads
                    "returning": await burst(bot, conversations),  # the same threads again
                }
            finally:
                await bot.close()
    finally:
        fake.stop()


# ---- entry points ------------------------------------------------------------------


async def _run(args: argparse.Namespace) -> dict:
    results: dict = {}
    for provider in (p.strip() for p in args.providers.split(",") if p.strip()):
        results[provider] = {
            "first_character": await first_character(provider, args.turns),
            "in_flight": await in_flight(provider, args.conversations, args.delay),
        }
    return results


def run(args: argparse.Namespace) -> dict:
    """Both measurements for every provider, as a dict of figures."""
    return asyncio.run(_run(args))


def main() -> None:
    print(json.dumps(run(parser().parse_args()), indent=2))


if __name__ == "__main__":
    main()
