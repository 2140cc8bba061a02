"""Benchmark the Slack adapter against a floor: a minimal Bolt app that only asks the model
and posts the answer.

Three processes, so the one measured has a core to itself as far as two cores allow: this
one (the load: signed ``app_mention`` events over HTTP), the fakes (the Web API, which times
each thread's first reply, and the instant model), and the app under test. ``concurrency``
conversations are in flight at once: each worker sends a mention, waits for the first reply
in its thread, and sends the next. Every mention is a new thread from one of ``users`` users.
A third run, ``core``, drives the bot's core alone (no Slack at all) the same way, to show
which part of the cost is the adapter's.

    .venv/bin/python scripts/bench_slack.py [--events 1000] [--users 200] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests", ROOT / "scripts"):
    sys.path.insert(0, str(path))

import aiohttp  # noqa: E402

from fake_llm import FakeLLM  # noqa: E402
from fakes.slack_api import TOKEN, ApiCall, FakeSlackAPI  # noqa: E402
from fakes.slack_harness import SlackSender, mention_payload  # noqa: E402

SECRET = "bench-signing-secret"
REPLY_METHODS = ("chat.postMessage", "chat.startStream")


# ---- the apps under test (each in its own process) -------------------------------------


def supportbot_settings(slack_url: str, llm_url: str, database_url: str):  # noqa: ANN201
    from bot.config import load_settings

    return load_settings(
        _env_file=None,
        database_url=database_url,
        openai_base_url=llm_url,
        openai_api_key="sk-bench",
        llm_max_retries=0,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack_url,
        rate_limit_per_minute=1_000_000,
        premium_rate_limit_per_minute=1_000_000,
        daily_token_cap_per_user=0,
        monthly_cost_cap_usd=0,
    )


async def start_supportbot(slack_url: str, llm_url: str, database_url: str, session):  # noqa: ANN001, ANN201
    """The real thing, started the way ``python -m bot slack`` starts it."""
    from adapters.slack import SlackApp, make_client
    from bot.core import SupportBot

    settings = supportbot_settings(slack_url, llm_url, database_url)
    bot = await SupportBot.open(settings)
    app = SlackApp(bot, make_client(settings, session))
    port = await app.start("127.0.0.1", 0)

    async def stop() -> None:
        await app.stop()
        await bot.close()

    return port, stop


async def start_floor(slack_url: str, llm_url: str, _database_url: str, session):  # noqa: ANN001, ANN201
    """The least a Bolt app can do: ack, ask the model, post the answer in the thread."""
    import openai
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack import start_http

    model = openai.AsyncOpenAI(base_url=llm_url, api_key="sk-bench", max_retries=0)
    client = AsyncWebClient(token=TOKEN, base_url=slack_url, session=session)
    app = AsyncApp(name="floor", client=client, signing_secret=SECRET)

    @app.event("app_mention")
    async def answer(event: dict, say) -> None:  # noqa: ANN001
        completion = await model.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": event["text"]}]
        )
        await say(text=completion.choices[0].message.content, thread_ts=event["ts"])

    runner, port = await start_http(app, "127.0.0.1", 0)

    async def stop() -> None:
        await runner.cleanup()
        await model.close()

    return port, stop


def serve_app(
    conn, kind: str, slack_url: str, llm_url: str, database_url: str, profile: str | None
) -> None:  # noqa: ANN001
    async def main() -> None:
        session = aiohttp.ClientSession()
        start = start_supportbot if kind == "supportbot" else start_floor
        port, stop = await start(slack_url, llm_url, database_url, session)
        conn.send(port)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # the warm-up is over
        before = cpu_seconds()
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        await loop.run_in_executor(None, conn.recv)  # until told to stop
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn.send({"maxrss_mb": peak, "cpu_s": cpu_seconds() - before})
        await stop()
        await session.close()

    asyncio.run(main())


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def serve_fakes(conn, replies) -> None:  # noqa: ANN001
    """The fake model and the fake Web API; each reply's thread and time go to ``replies``."""

    def on_call(call: ApiCall) -> None:
        if call.method in REPLY_METHODS and call.args.get("thread_ts"):
            replies.send((call.args["thread_ts"], call.at))  # monotonic: one clock per machine

    async def main() -> None:
        llm = await FakeLLM().start()
        slack = await FakeSlackAPI().start()
        slack.on_call = on_call
        conn.send((slack.url, llm.openai_url))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # the warm-up is over
        before = cpu_seconds()
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until told to stop
        conn.send(cpu_seconds() - before)

    asyncio.run(main())


def serve_core(
    conn, llm_url: str, database_url: str, events: int, warmup: int, users: int, concurrency: int
) -> None:  # noqa: ANN001
    """SupportBot.handle() in a closed loop, as the Slack app calls it, without Slack."""

    async def main() -> None:
        from bot.core import SupportBot
        from bot.inbound import InboundMessage

        bot = await SupportBot.open(
            supportbot_settings("http://127.0.0.1:9/api/", llm_url, database_url)
        )
        counter = iter(range(1, 10**9))

        async def turn() -> None:
            n = next(counter)
            message = InboundMessage(
                "slack",
                "T0ACME001",
                "C0SUPPORT1",
                f"{1764900000 + n}.000001",
                f"U0B{n % users:06d}",
                "Bench user",
                f"hello, a quick question number {n}",
                False,
                f"EvC{n:07d}",
            )
            async for _event in bot.handle(message):
                pass

        async def run(count: int) -> float:
            remaining = iter(range(count))

            async def worker() -> None:
                for _ in remaining:
                    await turn()

            started = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.monotonic() - started

        await run(warmup)
        before = cpu_seconds()
        elapsed = await run(events)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn.send(
            {"events_s": events / elapsed, "cpu_s": cpu_seconds() - before, "maxrss_mb": peak}
        )
        await bot.close()

    asyncio.run(main())


async def measure_core(args: argparse.Namespace) -> dict:
    loop = asyncio.get_running_loop()
    control, fakes_end = mp.Pipe()
    _replies_in, replies_out = mp.Pipe(duplex=False)
    fakes = mp.Process(target=serve_fakes, args=(fakes_end, replies_out), daemon=True)
    fakes.start()
    _slack_url, llm_url = await loop.run_in_executor(None, control.recv)
    database = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'core.db'}"
    parent, child = mp.Pipe()
    options = (args.events, args.warmup, args.users, args.concurrency)
    core = mp.Process(target=serve_core, args=(child, llm_url, database, *options))
    core.start()
    stats = await loop.run_in_executor(None, parent.recv)
    core.join(10)
    control.send("measure")
    control.send("stop")
    fakes.join(10)
    return {"kind": "core alone", **stats}


# ---- the load ---------------------------------------------------------------------------


class Load:
    """Closed-loop workers: send a mention, wait for the first reply in its thread, repeat."""

    def __init__(self, sender: SlackSender, users: int, first: int = 0) -> None:
        self.sender, self.users, self.first = sender, users, first
        self.waiting: dict[str, asyncio.Future] = {}
        self.acks: list[float] = []
        self.replies: list[float] = []
        self.failures = 0
        self._n = 0

    def replied(self, thread_ts: str, at: float) -> None:
        future = self.waiting.get(thread_ts)
        if future is not None and not future.done():
            future.set_result(at)

    async def one(self, prefix: str) -> None:
        self._n += 1
        n = self._n
        ts = f"{1764900000 + self.first + n}.{n % 1_000_000:06d}"
        payload = mention_payload(
            f"hello, a quick question number {n}",
            event_id=f"Ev{prefix}{n:07d}",
            ts=ts,
            user=f"U0B{n % self.users:06d}",
        )
        future = self.waiting[ts] = asyncio.get_running_loop().create_future()
        sent = time.monotonic()
        status, _ = await self.sender.event(payload)
        self.acks.append(time.monotonic() - sent)
        try:
            replied = await asyncio.wait_for(future, 30) if status == 200 else None
        except TimeoutError:
            replied = None
        del self.waiting[ts]
        if replied is None:
            self.failures += 1
        else:
            self.replies.append(replied - sent)

    async def run(self, events: int, concurrency: int, prefix: str) -> float:
        remaining = iter(range(events))

        async def worker() -> None:
            for _ in remaining:
                await self.one(prefix)

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.monotonic() - started


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000
        if len(values) > 1
        else 0.0
    )


async def measure(kind: str, args: argparse.Namespace) -> dict:
    loop = asyncio.get_running_loop()
    control, fakes_end = mp.Pipe()
    replies_in, replies_out = mp.Pipe(duplex=False)
    fakes = mp.Process(target=serve_fakes, args=(fakes_end, replies_out), daemon=True)
    fakes.start()
    slack_url, llm_url = await loop.run_in_executor(None, control.recv)
    load: Load | None = None

    def listen() -> None:
        while True:
            try:
                thread_ts, at = replies_in.recv()
            except EOFError:
                return
            if load is not None:
                loop.call_soon_threadsafe(load.replied, thread_ts, at)

    threading.Thread(target=listen, daemon=True).start()
    database = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    parent, child = mp.Pipe()
    profile = args.profile and f"{args.profile}.{kind}"
    app = mp.Process(target=serve_app, args=(child, kind, slack_url, llm_url, database, profile))
    app.start()
    port = await loop.run_in_executor(None, parent.recv)
    connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
    url = f"http://127.0.0.1:{port}/slack/events"
    sender = SlackSender(url, SECRET, aiohttp.ClientSession(connector=connector))
    try:
        load = Load(sender, args.users)
        await load.run(args.warmup, min(args.concurrency, args.warmup), "W")
        parent.send("measure")
        control.send("measure")
        load = Load(sender, args.users, first=10_000_000)
        own = cpu_seconds()
        elapsed = await load.run(args.events, args.concurrency, "M")
        own = cpu_seconds() - own
        parent.send("stop")
        control.send("stop")
        stats = await loop.run_in_executor(None, parent.recv)
        stats["cpu_fakes_s"] = await loop.run_in_executor(None, control.recv)
        stats["cpu_load_s"] = own
        stats["elapsed_s"] = elapsed
    finally:
        await sender.close()
        app.join(10)
        fakes.join(10)
    return {
        "kind": kind,
        "events": args.events,
        "failures": load.failures,
        "ack_p50": pct(load.acks, 50),
        "ack_p99": pct(load.acks, 99),
        "reply_p50": pct(load.replies, 50),
        "reply_p99": pct(load.replies, 99),
        "events_s": args.events / elapsed,
        **stats,
    }


def report(floor: dict, ours: dict, core: dict | None, args: argparse.Namespace) -> None:
    print(
        f"\n{args.events} mentions from {args.users} users, concurrency {args.concurrency}, "
        f"fake Slack API + fake model (instant)"
    )
    header = f"{'':12}{'ack p50':>9}{'ack p99':>9}{'reply p50':>11}{'reply p99':>11}{'events/s':>10}{'peak RSS':>10}{'CPU/event':>11}"
    print(header)
    for row in (floor, ours):
        print(
            f"{row['kind']:12}{row['ack_p50']:7.1f}ms{row['ack_p99']:7.1f}ms{row['reply_p50']:9.1f}ms"
            f"{row['reply_p99']:9.1f}ms{row['events_s']:10.1f}{row['maxrss_mb']:8.0f}MB"
            f"{row['cpu_s'] / args.events * 1000:9.2f}ms"
        )
    print(
        f"\nratios (supportbot / floor): reply p50 {ours['reply_p50'] / floor['reply_p50']:.2f}x, "
        f"reply p99 {ours['reply_p99'] / floor['reply_p99']:.2f}x (target <= 1.3), "
        f"throughput {ours['events_s'] / floor['events_s']:.2f}x (target >= 0.8); "
        f"ack p99 {ours['ack_p99']:.1f} ms (target < 50)"
    )
    if core is not None:
        per_turn = core["cpu_s"] / args.events * 1000
        print(
            f"core alone (SupportBot.handle, no Slack): {core['events_s']:.1f} turns/s, "
            f"{per_turn:.2f} ms CPU a turn, peak RSS {core['maxrss_mb']:.0f} MB; so the adapter "
            f"(Bolt, signature check, Slack calls) costs about "
            f"{ours['cpu_s'] / args.events * 1000 - per_turn:.2f} ms CPU an event"
        )
    if floor["failures"] or ours["failures"]:
        print(f"unanswered: floor {floor['failures']}, supportbot {ours['failures']}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--only", choices=("floor", "supportbot"))
    parser.add_argument(
        "--profile", metavar="PATH", help="cProfile the app under test into PATH.<kind>"
    )
    args = parser.parse_args()
    results = {}
    for kind in ("floor", "supportbot"):
        if args.only in (None, kind):
            results[kind] = await measure(kind, args)
            print(results[kind], flush=True)
    if args.only is None:
        results["core"] = await measure_core(args)
        print(results["core"], flush=True)
        report(results["floor"], results["supportbot"], results["core"], args)


if __name__ == "__main__":
    mp.set_start_method("spawn")
    asyncio.run(main())
