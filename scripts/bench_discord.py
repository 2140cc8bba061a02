"""Benchmark the Discord adapter: MESSAGE_CREATE events through a fake gateway, the fake model
(instant), many users. Reports event-to-first-reply latency (p50/p99), messages per second and
the bot process's peak memory.

    .venv/bin/python scripts/bench_discord.py [--users 500] [--burst 2000] [--rate 50]

The fake Discord and the fake model run in a child process, so the bot's event loop and its
memory are measured alone. Latency is taken in the child: from just before the fake gateway
sends an event to the moment the bot's first reply to it (its POST .../messages with that
message as reference) reaches the fake REST API. Two phases:

- burst: ``--burst`` messages sent as fast as the gateway can; messages/s is their number
  over the time until the last one had its first reply;
- steady: ``--steady`` messages at ``--rate`` a second; latency without a queue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fake Discord lives with the tests

from fake_llm import FakeLLM  # noqa: E402
from fakes.discord_payloads import FakeUser  # noqa: E402
from fakes.discord_server import FakeDiscord  # noqa: E402


def users(count: int) -> list[FakeUser]:
    return [
        FakeUser(str(1_400_000_000_000_000_000 + n), f"user{n}", f"User {n}") for n in range(count)
    ]


def channel_ids(count: int) -> list[str]:
    return [str(1_290_000_000_000_100_000 + n) for n in range(count)]


# ---- the child process: fake Discord, fake model, and a control endpoint -----------------


def first_replies(fake: FakeDiscord) -> dict[str, float]:
    """Message id -> when the bot's first reply to it arrived."""
    seen: dict[str, float] = {}
    for call in fake.calls:
        reference = (call.body or {}).get("message_reference") if call.method == "POST" else None
        if reference and call.path.endswith("/messages"):
            seen.setdefault(str(reference["message_id"]), call.at)
    return seen


async def send_load(fake: FakeDiscord, spec: dict) -> dict:
    """Dispatch ``spec["messages"]`` events (at ``spec["rate"]`` a second, 0: at once) and
    wait for every first reply."""
    people, channels = users(spec["users"]), channel_ids(spec["channels"])
    sent: dict[str, float] = {}
    started = time.perf_counter()
    for n in range(spec["messages"]):
        if spec["rate"]:
            await asyncio.sleep(max(0.0, started + n / spec["rate"] - time.perf_counter()))
        message_id = fake.snowflake()
        sent[message_id] = time.perf_counter()
        await fake.say(
            f"hello, is the service up today? #{n}",
            people[n % len(people)],
            channel_id=channels[n % len(channels)],
            message_id=message_id,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        replies = first_replies(fake)
        if all(mid in replies for mid in sent):
            break
        await asyncio.sleep(0.05)
    replies = first_replies(fake)
    latencies = sorted((replies[mid] - at) * 1000 for mid, at in sent.items() if mid in replies)
    last = max((replies[mid] for mid in sent if mid in replies), default=started)
    return {
        "sent": len(sent),
        "answered": len(latencies),
        "seconds": last - started,
        "latencies_ms": latencies,
    }


async def serve_fakes() -> None:
    async with FakeDiscord() as fake, FakeLLM() as llm:

        async def run(request: web.Request) -> web.Response:
            return web.json_response(await send_load(fake, await request.json()))

        async def ready(request: web.Request) -> web.Response:
            await fake.wait_connected(within_s=60)
            return web.json_response({"ok": True})

        app = web.Application()
        app.router.add_post("/run", run)
        app.router.add_post("/ready", ready)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        urls = {
            "token": fake.token,
            "api_url": fake.api_url,
            "gateway_url": fake.gateway_url,
            "openai_url": llm.openai_url,
            "control": f"http://127.0.0.1:{port}",
        }
        print(json.dumps(urls), flush=True)
        await asyncio.Event().wait()


# ---- the parent process: the bot -----------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else float("nan")


def summary(name: str, result: dict) -> str:
    lat = result["latencies_ms"]
    rate = result["answered"] / result["seconds"] if result["seconds"] else float("nan")
    return (
        f"{name:<7} {result['answered']}/{result['sent']} answered, {rate:,.0f} messages/s, "
        f"first reply p50 {percentile(lat, 0.5):.1f} ms, p99 {percentile(lat, 0.99):.1f} ms, "
        f"mean {statistics.fmean(lat) if lat else float('nan'):.1f} ms"
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def start_fakes() -> tuple[asyncio.subprocess.Process, dict]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve-fakes", stdout=asyncio.subprocess.PIPE
    )
    line = await asyncio.wait_for(child.stdout.readline(), 60)
    return child, json.loads(line)


async def bench(args: argparse.Namespace) -> None:
    from adapters.discord import SupportClient
    from bot.config import load_settings
    from bot.core import SupportBot

    child, urls = await start_fakes()
    workdir = tempfile.mkdtemp(prefix="bench-discord-")
    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{workdir}/bench.db",
        openai_base_url=urls["openai_url"],
        openai_api_key="sk-bench",
        llm_max_retries=0,
        discord_bot_token=urls["token"],
        discord_api_url=urls["api_url"],
        discord_gateway_url=urls["gateway_url"],
        rate_limit_per_minute=1_000_000,
        premium_rate_limit_per_minute=1_000_000,
        daily_token_cap_per_user=0,
        monthly_cost_cap_usd=0,
    )
    bot = await SupportBot.open(settings)
    client = SupportClient(bot)
    timeout = ClientTimeout(total=600)
    try:
        async with client, ClientSession(timeout=timeout) as http:
            running = asyncio.create_task(client.start(settings.discord_bot_token))
            await http.post(f"{urls['control']}/ready")
            rss_idle = peak_rss_mb()
            print(
                f"bot connected; {args.users} users, {args.channels} channels, peak RSS {rss_idle:.0f} MB"
            )
            phases = [("warm-up", args.warmup, 0), ("burst", args.burst, 0)]
            phases.append(("steady", args.steady, args.rate))
            for name, count, rate in phases:
                spec = {
                    "messages": count,
                    "users": args.users,
                    "channels": args.channels,
                    "rate": rate,
                }
                result = await (await http.post(f"{urls['control']}/run", json=spec)).json()
                if name != "warm-up":
                    print(summary(name, result))
            print(f"peak RSS of the bot process: {peak_rss_mb():.0f} MB (idle {rss_idle:.0f} MB)")
            await client.close()
            await running
    finally:
        await bot.close()
        child.terminate()
        await child.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--channels", type=int, default=100, help="conversations (guild channels)")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--steady", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="steady messages per second")
    parser.add_argument("--serve-fakes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fakes:
        asyncio.run(serve_fakes())
    else:
        asyncio.run(bench(args))


if __name__ == "__main__":
    main()
