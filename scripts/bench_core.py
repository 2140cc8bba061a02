"""Core benchmark: turns per second and per-turn overhead on SQLite, with a stored history of
10 and of 10,000 messages, and resident memory with 100,000 users passing the limiter.

The model is an instant in-process provider, so what is measured is the bot's own work:
dedupe, validation, limits, customer and history loads, prompt, persistence, usage.

    python scripts/bench_core.py [--turns 2000] [--concurrency 50] [--skip-streaming]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bot.config import load_settings  # noqa: E402
from bot.core import SupportBot  # noqa: E402
from bot.inbound import InboundMessage  # noqa: E402
from bot.limits import UserRateLimiter  # noqa: E402
from bot.llm.types import Completed, ModelRequest, StreamEvent, TextChunk  # noqa: E402
from bot.storage.conversations import insert_messages  # noqa: E402
from bot.usage import TokenUsage  # noqa: E402


class InstantProvider:
    """Answers at once with a short text, so only the bot's overhead is timed."""

    name = "openai"

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        yield TextChunk("Thanks, ")
        yield TextChunk("here is your answer.")
        yield Completed((), TokenUsage(300, 20), request.model, "stop")

    async def aclose(self) -> None:
        return None


def message(
    user: int, thread: str, number: int, text: str = "Where is my order?"
) -> InboundMessage:
    return InboundMessage(
        platform="bench",
        workspace="W",
        channel="C",
        thread=thread,
        user_id=f"U{user}",
        display_name=f"User {user}",
        text=text,
        is_dm=False,
        event_id=f"{thread}-{number}",
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def open_bot(path: Path) -> SupportBot:
    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{path}",
        openai_base_url="http://127.0.0.1:9/v1",
        rate_limit_per_minute=1_000_000,
        daily_token_cap_per_user=0,
        monthly_cost_cap_usd=0,
    )
    return await SupportBot.open(settings, providers={"openai": InstantProvider()})


async def throughput(bot: SupportBot, turns: int, concurrency: int, users: int) -> dict:
    """Many conversations at once: turns per second and latency under load."""
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(turns):
        queue.put_nowait(number)

    async def worker() -> None:
        while not queue.empty():
            number = queue.get_nowait()
            user = number % users
            started = time.perf_counter()
            await bot.respond(message(user, f"load-{user}", number))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "turns": turns,
        "concurrency": concurrency,
        "turns_per_s": round(turns / elapsed, 1),
        "latency_p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


async def seed_history(bot: SupportBot, thread: str, count: int) -> None:
    conversation = await bot.store.conversations.conversation_id(
        message(0, thread, 0).conversation_key, "bench", bot.clock.now()
    )
    rows = []
    for i in range(count):
        role = "user" if i % 2 == 0 else "assistant"
        rows.append(
            {"role": role, "content": f"{role} message {i} " + "x" * 200, "user_key": "bench:U0"}
        )
    await bot.store.db.write(
        lambda conn: insert_messages(conn, conversation, rows, bot.clock.now(), ids=False)
    )


async def overhead(bot: SupportBot, thread: str, turns: int) -> dict:
    """One turn at a time in one conversation: the per-turn cost of the bot itself."""
    latencies = []
    for number in range(turns):
        started = time.perf_counter()
        await bot.respond(message(0, thread, 100_000 + number))
        latencies.append(time.perf_counter() - started)
    return {
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def limiter_memory(users: int) -> dict:
    """Resident memory of the whole process with ``users`` distinct users in the limiter."""
    gc.collect()
    before = rss_mb()
    limiter = UserRateLimiter(10, 3)
    for user in range(users):
        await limiter.check(f"slack:U{user:08d}", user % 10 == 0)
    gc.collect()
    after = rss_mb()
    return {
        "users": users,
        "buckets_held": len(limiter),
        "process_rss_mb": round(after, 1),
        "limiter_mb": round(after - before, 1),
    }


async def run_core(turns: int, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        bot = await open_bot(Path(folder) / "bench.db")
        try:
            for thread, count in (("history-10", 10), ("history-10000", 10_000)):
                await seed_history(bot, thread, count)
            await overhead(bot, "warm-up", 50)
            results = {
                "throughput": await throughput(bot, turns, concurrency, users=500),
                "overhead_history_10": await overhead(bot, "history-10", 300),
                "overhead_history_10000": await overhead(bot, "history-10000", 300),
            }
        finally:
            await bot.close()
    results["memory"] = await limiter_memory(100_000)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="supportbot core benchmark")
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--skip-streaming", action="store_true", help="skip the provider section")
    args = parser.parse_args()
    results = asyncio.run(run_core(args.turns, args.concurrency))
    if not args.skip_streaming:
        try:
            import bench_streaming
        except ImportError:
            results["streaming"] = "scripts/bench_streaming.py not found"
        else:
            results["streaming"] = bench_streaming.run(bench_streaming.default_args())
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
