#!/usr/bin/env python3
"""Chat benchmark (`make bench` runs it after the feed benchmark; docs/performance.md, "Chat").

N socket clients (default 200) in pairs — the buyer and the seller of one listing, talking in
their thread — each pair exchanging one message a second, turn about (N/2 messages a second in
all), against two servers in turn:

- `redis`: the real server, uvicorn with 2 workers as deploy/ws.sh runs it, and the Redis
  channel layer (the two sockets of a pair often sit in different workers);
- `memory`: the floor, one uvicorn worker with the in-memory channel layer; Redis still keeps
  presence and the send limit, so the difference is the channel layer and the second worker.

Beside them `--idle` sockets (default 2,000) of other users stay open and quiet the whole time,
answering nothing but their pings, as most of a real server's sockets do.

A message is delivered when the other party's socket gets its `message.new`. Reported:
delivered/sent, send→receive latency p50/p95/p99 (the clients run in this process, on the
same machine, so their own CPU is in the numbers), and the CPU the server processes, Redis and
PostgreSQL spent per message. `--record` writes the table under "## Chat" at the end of
docs/performance.md. Everything listens on 127.0.0.1 and every step is bounded in time.

    python bench/chat.py [--clients 200] [--idle 2000] [--seconds 30] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # `chat` is the Django app, not this file
from bench.feed_search import CLOCK_TICKS, proc_table, stop_group  # noqa: E402 - after the path fix

VENV_BIN = Path(sys.executable).parent
DOC_PATH = ROOT / "docs" / "performance.md"
SECTION = "## Chat"
PG = os.environ.get("CHAT_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("CHAT_BENCH_DB", "marketplace_chat_bench")
REDIS_URL = os.environ.get("CHAT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# kind → (port, label)
SERVERS: dict[str, tuple[int, str]] = {
    "redis": (8811, "uvicorn, 2 workers, Redis channel layer"),
    "memory": (8812, "uvicorn, 1 worker, in-memory channel layer (floor)"),
}
PING_SECONDS = 25
SEED = 360
IDLE_BATCH = 100
DRAIN_SECONDS = 30


def log(message: str) -> None:
    sys.stderr.write(f"[chat-bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def server_env(work: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "PAYMENT_PROVIDERS": "",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "REDIS_URL": REDIS_URL,
            "PROMETHEUS_MULTIPROC_DIR": str(work / "prometheus"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


# --- Inside Django: seeding, and the floor's server --------------------------------------------


def seed(clients: int, idle: int) -> None:
    """Users, active listings and one thread per pair, and `idle` users more; prints each
    pair's thread and tokens, and the idle users' tokens."""
    import django

    django.setup()
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import User
    from accounts.tokens import issue_tokens
    from chat.models import Thread
    from listings.models import Listing

    pairs = clients // 2
    users = User.objects.bulk_create(
        User(phone=f"+996555{index:06d}", display_name=f"Bench {index}")
        for index in range(2 * pairs)
    )
    price = Decimal("1000000.00")
    listings = Listing.objects.bulk_create(
        Listing(
            author=users[2 * pair + 1],
            category="car",
            status="active",
            title=f"Bench car {pair}",
            price=price,
            currency="KGS",
            price_kgs=price,
            price_kzt=price * 6,
            price_usd=price / 87,
            city="Бишкек",
            published_at=timezone.now(),
        )
        for pair in range(pairs)
    )
    threads = Thread.objects.bulk_create(
        Thread(listing=listings[pair], buyer=users[2 * pair]) for pair in range(pairs)
    )
    quiet = User.objects.bulk_create(
        User(phone=f"+996556{index:06d}", display_name=f"Idle {index}") for index in range(idle)
    )
    out = {
        "pairs": [
            {
                "thread": str(threads[pair].pk),
                "buyer": issue_tokens(users[2 * pair])["access"],
                "seller": issue_tokens(users[2 * pair + 1])["access"],
            }
            for pair in range(pairs)
        ],
        "idle": [issue_tokens(user)["access"] for user in quiet],
    }
    sys.stdout.write(json.dumps(out))


def serve_floor(port: int) -> None:
    """One uvicorn worker with the in-memory channel layer, everything else as configured."""
    import django
    import uvicorn
    from django.conf import settings

    django.setup()
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from marketplace.asgi import application

    uvicorn.run(
        application,
        host="127.0.0.1",
        port=port,
        access_log=False,
        proxy_headers=False,
        lifespan="off",
        log_level="warning",
    )


# --- The database ---------------------------------------------------------------------------


def prepare_database(env: dict[str, str], clients: int, idle: int) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        name = sql.Identifier(DB_NAME)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    log(f"migrating {DB_NAME}")
    run([str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput"], env, timeout=600)
    log(f"seeding {clients // 2} pairs and {idle} idle users")
    seeded = run(
        [
            *(str(VENV_BIN / "python"), str(Path(__file__)), "seed"),
            *("--clients", str(clients), "--idle", str(idle)),
        ],
        env,
        timeout=300,
    )
    return dict(json.loads(seeded))


def run(argv: list[str], env: dict[str, str], *, timeout: float) -> str:
    completed = subprocess.run(  # noqa: S603 (fixed argv built here, no shell)
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- CPU accounting (from /proc) ----------------------------------------------------------------


def tree(table: dict[int, tuple[int, int, str]], root: int) -> set[int]:
    found = {root}
    changed = True
    while changed:
        changed = False
        for pid, (parent, _ticks, _cmd) in table.items():
            if parent in found and pid not in found:
                found.add(pid)
                changed = True
    return found & set(table)


def cpu_ticks(server_pid: int) -> dict[str, int]:
    table = proc_table()
    redis_port = REDIS_URL.rsplit(":", 1)[-1].split("/")[0]
    return {
        "server": sum(table[pid][1] for pid in tree(table, server_pid)),
        "postgres": sum(
            ticks
            for _parent, ticks, cmd in table.values()
            if cmd.startswith("postgres:") and f" {DB_NAME} " in cmd
        ),
        "redis": sum(
            ticks
            for _parent, ticks, cmd in table.values()
            if cmd.startswith("redis-server") and f":{redis_port}" in cmd
        ),
    }


# --- The server -----------------------------------------------------------------------------


class Server:
    def __init__(self, kind: str, env: dict[str, str], work: Path) -> None:
        self.kind = kind
        self.port = SERVERS[kind][0]
        self.env = env
        self.log_path = work / f"{kind}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def argv(self) -> list[str]:
        if self.kind == "memory":
            return [str(VENV_BIN / "python"), str(Path(__file__)), "serve-floor", str(self.port)]
        return [
            str(VENV_BIN / "uvicorn"),
            "marketplace.asgi:application",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--workers", "2",
            "--no-access-log",
            "--no-proxy-headers",
            "--lifespan", "off",
        ]  # fmt: skip

    def start(self, timeout: float = 60) -> None:
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 (fixed argv built here, no shell)
                self.argv(),
                cwd=ROOT,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    time.sleep(1)  # every worker up, not just the first
                    return
            time.sleep(0.3)
        tail = self.log_path.read_text(errors="replace")[-3000:]
        self.stop()
        raise SystemExit(f"{self.kind} server did not become healthy:\n{tail}")

    def stop(self) -> None:
        stop_group(self.process)


# --- The clients ----------------------------------------------------------------------------


@dataclass
class Outcome:
    sent: int
    delivered: int
    latencies_ms: list[float]
    errors: list[str]
    seconds: float


async def drive(
    port: int,
    pairs: list[dict[str, str]],
    idle: list[str],
    seconds: int,
    sample: Callable[[], None],
) -> Outcome:
    """Open every socket (the idle ones first), then talk; `sample()` runs as the talking
    starts and ends, so the CPU it reads covers the messages, not the connections."""
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{port}/ws/chat/"
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    errors: list[str] = []
    delivered = 0

    async def listen(socket: Any, role: str) -> None:
        nonlocal delivered
        async for raw in socket:
            event = json.loads(raw)
            if event["type"] == "message.new":
                client_id = event["message"]["client_id"]
                # Its own echo is not a delivery: the other party's socket must get it.
                if client_id.split(":")[1] != role and client_id in sent_at:
                    latencies.append((time.perf_counter() - sent_at[client_id]) * 1000)
                    delivered += 1
            elif event["type"] == "error":
                errors.append(f"{event['code']}: {event['message']}")

    # Each socket pings every PING_SECONDS from its own moment, as phones that connected at
    # different times do: sockets opened together would otherwise all ping at once, forever.
    phases = random.Random(SEED)  # noqa: S311 (when to ping, not a secret)

    async def ping(socket: Any) -> None:
        await asyncio.sleep(phases.uniform(0, PING_SECONDS))
        while True:
            await socket.send('{"type": "ping"}')
            await asyncio.sleep(PING_SECONDS)

    connections: list[Any] = []
    tasks: list[asyncio.Task[None]] = []
    quiet: list[Any] = []
    for first in range(0, len(idle), IDLE_BATCH):  # a batch at a time: the server's backlog
        batch = idle[first : first + IDLE_BATCH]
        quiet += await asyncio.gather(
            *(connect(url, subprotocols=["bearer", token], max_queue=None) for token in batch)  # type: ignore[list-item]
        )
    tasks += [asyncio.create_task(ping(socket)) for socket in quiet]
    if quiet:
        log(f"{len(quiet)} idle sockets open")
    for pair in pairs:
        for role in ("buyer", "seller"):
            socket = await connect(url, subprotocols=["bearer", pair[role]], max_queue=None)  # type: ignore[list-item]
            connections.append(socket)
            tasks.append(asyncio.create_task(listen(socket, role)))
            tasks.append(asyncio.create_task(ping(socket)))
    log(f"{len(connections)} sockets open")

    async def talk(index: int, buyer: Any, seller: Any, thread: str, start: float) -> None:
        # Pairs start spread over the first second, so the load is even, not in bursts.
        begin = start + index / len(pairs)
        for turn in range(seconds):
            await asyncio.sleep(max(0.0, begin + turn - time.perf_counter()))
            role, socket = ("buyer", buyer) if turn % 2 == 0 else ("seller", seller)
            client_id = f"{index}:{role}:{turn}"
            sent_at[client_id] = time.perf_counter()
            frame = {
                "type": "message.send",
                "thread_id": thread,
                "body": f"Message {turn} of pair {index}",
                "client_id": client_id,
            }
            await socket.send(json.dumps(frame))

    sample()
    start = time.perf_counter() + 0.5
    await asyncio.gather(
        *(
            talk(index, connections[2 * index], connections[2 * index + 1], pair["thread"], start)
            for index, pair in enumerate(pairs)
        )
    )
    # Wait for the last deliveries (a slow server's backlog too), up to a bound.
    deadline = time.perf_counter() + DRAIN_SECONDS
    while delivered < len(sent_at) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - start
    sample()
    for task in tasks:
        task.cancel()
    await asyncio.gather(
        *(socket.close() for socket in [*connections, *quiet]), return_exceptions=True
    )
    return Outcome(len(sent_at), delivered, latencies, errors, elapsed)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Row:
    kind: str
    outcome: Outcome
    cpu_seconds: dict[str, float]

    def cells(self) -> list[str]:
        outcome = self.outcome
        share = outcome.delivered / outcome.sent if outcome.sent else 0.0
        per_message = {
            key: value * 1000 / max(1, outcome.sent) for key, value in self.cpu_seconds.items()
        }
        return [
            SERVERS[self.kind][1],
            f"{outcome.delivered}/{outcome.sent} ({share:.2%})",
            f"{percentile(outcome.latencies_ms, 0.50):.1f}",
            f"{percentile(outcome.latencies_ms, 0.95):.1f}",
            f"{percentile(outcome.latencies_ms, 0.99):.1f}",
            f"{max(outcome.latencies_ms, default=float('nan')):.1f}",
            f"{per_message['server']:.2f} / {per_message['postgres']:.2f} / "
            f"{per_message['redis']:.2f}",
        ]


HEADER = [
    "server",
    "delivered/sent",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "CPU ms per message: server / PostgreSQL / Redis",
]


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def measure(kind: str, env: dict[str, str], work: Path, args: argparse.Namespace) -> Row:
    prometheus = Path(env["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(prometheus, ignore_errors=True)
    prometheus.mkdir(parents=True)
    flush_redis()
    seeded = prepare_database(env, args.clients, args.idle)
    server = Server(kind, env, work)
    log(f"starting {SERVERS[kind][1]}")
    server.start()
    pid = server.process.pid if server.process is not None else 0
    samples: list[dict[str, int]] = []
    try:
        outcome = asyncio.run(
            drive(
                server.port,
                seeded["pairs"],
                seeded["idle"],
                args.seconds,
                lambda: samples.append(cpu_ticks(pid)),
            )
        )
    finally:
        server.stop()
    before, after = samples
    cpu = {key: (after[key] - before[key]) / CLOCK_TICKS for key in before}
    if outcome.errors:
        log(f"{len(outcome.errors)} error events, first: {outcome.errors[0]}")
    return Row(kind, outcome, cpu)


def record(rows: list[Row], args: argparse.Namespace) -> None:
    cores = os.cpu_count()
    client_cpu = resource.getrusage(resource.RUSAGE_SELF)
    body = f"""{SECTION}

`bench/chat.py` (`make bench` runs it after the feed benchmark): {args.clients} WebSocket
clients in {args.clients // 2} pairs, a buyer and a seller in one thread each, every pair
exchanging one message a second for {args.seconds} s ({args.clients // 2} messages a second in
all), with {args.idle} other users' sockets open and quiet throughout, through the server
over loopback, PostgreSQL and Redis on the same machine. A message is delivered when the other
party's socket receives its `message.new`; latency runs from the sender's `send` to that
receipt. The clients run in the benchmark's own process on the same
cores (they spent {client_cpu.ru_utime + client_cpu.ru_stime:.1f} s of CPU over both runs).

Run {dt.datetime.now(dt.UTC).date().isoformat()} on {platform.machine()}, {cores} cores, Python
{platform.python_version()}:

{table(rows)}

Each message is stored (the thread row locked to number it, the sender's read position
moved), then announced after the commit to the user groups of both parties; the presence
check in Redis decides that nobody needs a push. The floor keeps all of that but the channel
layer: one worker delivers in-process.
"""
    text = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
    start = text.find(f"\n{SECTION}\n")
    if start == -1:
        text = f"{text.rstrip()}\n\n{body}"
    else:
        # Only this section is replaced; any section after it stays.
        end = text.find("\n## ", start + len(SECTION) + 2)
        rest = f"\n{text[end:].lstrip()}" if end != -1 else ""
        text = f"{text[:start].rstrip()}\n\n{body}{rest}"
    DOC_PATH.write_text(text, encoding="utf-8")
    log(f"recorded in {DOC_PATH.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "command", nargs="?", default="bench", choices=("bench", "seed", "serve-floor")
    )
    parser.add_argument("port", nargs="?", type=int)
    parser.add_argument("--clients", type=int, default=200, help="sockets, in pairs (default 200)")
    parser.add_argument("--idle", type=int, default=2000, help="quiet sockets (default 2,000)")
    parser.add_argument("--seconds", type=int, default=30, help="messages per pair (default 30)")
    parser.add_argument("--only", choices=tuple(SERVERS), help="one server instead of both")
    parser.add_argument("--record", action="store_true", help="write docs/performance.md")
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.clients, args.idle)
        return
    if args.command == "serve-floor":
        serve_floor(args.port)
        return
    if args.clients < 2 or args.clients % 2:
        parser.error("--clients must be an even number of at least 2")
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as scratch:
        work = Path(scratch)
        env = server_env(work)
        rows = [measure(kind, env, work, args) for kind in SERVERS if args.only in (None, kind)]
    sys.stdout.write(table(rows) + "\n")
    if args.record:
        record(rows, args)


if __name__ == "__main__":
    main()
