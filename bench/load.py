#!/usr/bin/env python3
"""Mixed load test (`make load`; docs/performance.md, "Load").

The production shape on loopback: gunicorn sync workers serving the REST API (as
deploy/web.sh), uvicorn serving `/ws/` (as deploy/ws.sh), a Celery worker (as
deploy/worker.sh; rule-based moderation, no Anthropic key), PostgreSQL and Redis. Virtual
users — one seeded user each, signed in with a token issued by the app's own code, as the
chat benchmark does — then do what app users do, with a pause between actions: scroll the
feed, search with filters and text, open listings, favorite and unfavorite, chat over REST and
the WebSocket (a socket's send is acknowledged by its own `message.new`), create listings with
a photo and submit them (some users fire several creates at once past their quota), and buy
boosts through the `test` payment provider, whose signed webhook is sent twice at once.

The load rises in stages (8, 32, 64 users by default, 40 s each). For each stage: requests per
second, p50/p95/p99 per route template, answers by class (2xx, expected 4xx — the quota's 403
and throttles' 429 —, other 4xx, 5xx, transport errors) and the CPU of each part. Then the
database is checked: every acknowledged message and listing is there as acknowledged, nobody is
over the quota, every paid payment was applied exactly once. PASS or FAIL; the exit status is
1 on FAIL, which any 5xx, unexpected answer or transport error also is.

    python bench/load.py [--stages 8,32,64] [--seconds 40] [--record]
    python bench/load.py --fault redis|postgres [--fault-stage 2] [--fault-at 10]
        [--fault-seconds 10] [--stages 8,32] [--seconds 40] [--record]

With `--fault`, the run owns a private server of that kind (tests/servers.py: a redis-server
on a free port, or a PostgreSQL cluster in a temporary directory holding a copy of the
template) and, during one stage, stops it for a while and starts it again under the load
(`pg_ctl -m fast`, clients disconnected as in a restart; Redis terminated and started on the
same port). A 503 `service_unavailable` then is expected of a request that needed the stopped
server during the outage or the few seconds after it (the window), and so is a socket closed
with 1013: the virtual users retry as the apps and a payment provider do (the same client_id
or webhook event, with a backoff), reconnect with a backoff and catch up with `?after=`. Any
other 5xx, a 503 outside the window or not in the error shape, a transport error, or no 2xx
needing the server within 15 s of its restart is a FAIL; the consistency check is the same.

Everything listens on 127.0.0.1 (ports 8831 and 8832), every step is bounded in time, and the
servers are stopped at the end, also on Ctrl-C or an error. PostgreSQL: the database
`marketplace_load`, copied from a template made once (`marketplace_load_<N>_template`, the
feed benchmark's loader); Redis: LOAD_BENCH_REDIS_URL (that database is emptied).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import io
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import uuid
import zlib
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # `chat` is the Django app, not bench/chat.py
from bench import feed_search  # noqa: E402 - after the path fix
from bench.chat import tree  # noqa: E402
from bench.feed_search import (  # noqa: E402
    CLOCK_TICKS,
    SEARCHES,
    TEXT_QUERIES,
    Server,
    build_template,
    database_comment,
    drop_database,
    http_get,
    machine,
    machine_busy_ticks,
    migrations_fingerprint,
    path_of,
    pg_connect,
    pg_url,
    proc_table,
    run_checked,
    server_env,
    snapshot,
    ticks_spent,
)

if TYPE_CHECKING:  # imported where used: a snapshot of the last commit may not have it yet
    from tests.servers import PrivatePostgres, PrivateRedis

DOC_PATH = ROOT / "docs" / "performance.md"
SECTION = "## Load"
DB_NAME = "marketplace_load"
REDIS_URL = os.environ.get("LOAD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
WEB_PORT, WS_PORT = 8831, 8832
VENV_BIN = Path(sys.executable).parent

QUOTA = 5  # settings.PERSONAL_LISTING_LIMIT
QUOTA_STATUSES = ("draft", "pending_review", "active")
REQUEST_TIMEOUT = 30.0  # seconds; gunicorn's worker timeout (feed_search.server_argv) is 30 too
ACK_TIMEOUT = 15.0  # a socket's send without its `message.new` by then is a transport error
FAULT_GRACE = 5.0  # seconds after a restart that a 503 or a 1013 is still expected
RECOVERY_LIMIT = 15.0  # seconds from a restart to the first 2xx that needed the server
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)  # a refused write is sent again after these (and jitter)
RECONNECT_MAX = 8.0  # the socket's reconnect backoff doubles from 1 s up to this
SOCKET_SEND = "WS message.send → own message.new"
SOCKET_OPEN = "WS /ws/chat/ (open socket)"
CATCH_UP = "GET /api/v1/chat/threads/{id}/messages/ ?after="
STAGE_GRACE = 40.0  # after a stage's time, for actions under way to finish
PING_SECONDS = 25  # the contract's socket keep-alive

# Weights of a virtual user's next action.
ACTIONS = {
    "browse": 30,
    "search": 20,
    "view": 14,
    "favorite": 8,
    "chat": 10,
    "answer": 6,
    "create": 5,
    "boost": 3,
    "profile": 4,
}
# Answers that are the contract doing its job, not failures: route → {status: error code}.
# 429 (a throttle: the user rate, a write scope, the chat's send limit) is expected anywhere.
EXPECTED = {"POST /api/v1/listings/": {403: "listing_limit_reached"}}
WHY = {
    "listing_limit_reached": "the 6th personal listing refused: the quota blitz sends more "
    "creates at once than the user has free slots",
    "throttled": "a throttle at its production rate (user rate, write scope, chat send limit)",
}
CARS = (("Toyota", "Camry"), ("Honda", "Fit"), ("Lexus", "RX"), ("Hyundai", "Sonata"))


def log(message: str) -> None:
    sys.stderr.write(f"[load {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# --- Inside Django: the users ----------------------------------------------------------------


def seed(users: int, lifetime_s: int, out: Path) -> None:
    """Users with one active car listing each (through the services, as seed_demo does) and an
    access token that outlives the run; written to `out` as JSON."""
    import django

    django.setup()
    from datetime import timedelta

    from accounts.models import User
    from accounts.tokens import SessionRefreshToken
    from listings.demo.media import demo_image
    from listings.serializers import ListingCreateSerializer
    from listings.services.listings import listing_approve, listing_create, listing_submit
    from listings.services.media import media_add

    people = User.objects.bulk_create(
        User(phone=f"+996777{index:06d}", display_name=f"Load {index}", city="Бишкек")
        for index in range(users)
    )
    seeded = []
    for index, user in enumerate(people):
        make, model = CARS[index % len(CARS)]
        form = ListingCreateSerializer(data=car_listing(index, make, model))
        form.is_valid(raise_exception=True)
        listing, _created = listing_create(author=user, data=dict(form.validated_data))
        photo = demo_image(index, listing.title, width=240)
        media_add(listing=listing, actor=user, kind="image", upload=photo)
        listing_approve(listing=listing_submit(listing=listing, actor=user), actor=None)
        access = SessionRefreshToken.for_user(user).access_token
        access.set_exp(lifetime=timedelta(seconds=lifetime_s))
        seeded.append({"user": str(user.pk), "access": str(access), "listing": str(listing.pk)})
    out.write_text(json.dumps(seeded))


def car_listing(index: int, make: str, model: str) -> dict[str, Any]:
    return {
        "category": "car",
        "title": f"{make} {model}, {2010 + index % 15}",
        "description": "Один хозяин, растаможена, торг уместен.",
        "price": str(8000 + 37 * index),
        "currency": "USD",
        "city": "Бишкек",
        "details": {"make": make, "model": model, "year": 2010 + index % 15, "mileage_km": 90000},
    }


# --- HTTP over asyncio streams ---------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: bytes
    ok: bool = False

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def code(self) -> str:
        data = self.json()
        error = data.get("error") if isinstance(data, dict) else None
        return str(error.get("code", "")) if isinstance(error, dict) else ""


def dechunk(payload: bytes) -> bytes:
    out, rest = bytearray(), payload
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


async def http(
    method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, bytes]:
    """One request on a connection of its own (gunicorn's sync workers close each one, as
    nginx in front of them would), gzip accepted as the apps do."""
    reader, writer = await asyncio.open_connection("127.0.0.1", WEB_PORT)
    try:
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{WEB_PORT}",
            "Connection: close",
            "Accept: application/json",
            "Accept-Encoding: gzip",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        if body or method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        writer.write("\r\n".join(lines).encode() + b"\r\n\r\n" + body)
        raw = await reader.read(-1)
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    found = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
    if found.get("transfer-encoding") == "chunked":
        payload = dechunk(payload)
    if found.get("content-encoding") == "gzip":
        payload = zlib.decompress(payload, 16 + zlib.MAX_WBITS)
    return int(status_line.split()[1]), payload


def multipart(fields: dict[str, str], name: str, filename: str, data: bytes) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
        f"\r\nContent-Type: image/jpeg\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def photo() -> bytes:
    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (240, 320), (52, 120, 246)).save(data, format="JPEG", quality=80)
    return data.getvalue()


# --- What a stage measures, and what the run must find in the database -----------------------


@dataclass
class Stage:
    users: int
    seconds: float
    elapsed: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # (route, class): class is ok, expected, unexpected, 5xx or error
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    expected: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        return sum(n for (_route, k), n in self.outcomes.items() if k == kind)

    def note(self, route: str, kind: str, detail: str) -> None:
        self.outcomes[route, kind] += 1
        if len(self.problems) < 30:
            self.problems.append(f"{kind} {route}: {detail}")


@dataclass
class Ledger:
    """Every write the server acknowledged, to be found in the database at the end."""

    # id → (thread, client_id, sender)
    messages: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    threads: set[str] = field(default_factory=set)
    # id → (author, status); status "" when a write's outcome is unknown
    listings: dict[str, tuple[str, str]] = field(default_factory=dict)
    favorites: dict[tuple[str, str], bool] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    blitzes: list[tuple[str, int, int, int]] = field(default_factory=list)  # user, free, sent, ok
    unknown: Counter[str] = field(default_factory=Counter)  # writes without an answer


@dataclass
class Fault:
    """One outage of a private server (`--fault`) during one stage, and what the load saw."""

    kind: str  # redis or postgres
    stage: int  # index of the stage in --stages
    at: float  # seconds into the stage
    seconds: float  # stopped for
    stop: Callable[[], None]
    start: Callable[[], None]
    # time.monotonic() of: the stop begun, the stop done, the start begun, the server back
    down: float | None = None
    stopped: float | None = None
    restarting: float | None = None
    up: float | None = None
    recovered: float | None = None  # the first 2xx that needed the server, after `up`
    # (class, in the window, over the socket) → count, class as in Stage.outcomes
    answers: Counter[tuple[str, bool, bool]] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)  # what was sent again, reconnects
    sweep: str = ""

    @property
    def name(self) -> str:
        return "Redis" if self.kind == "redis" else "PostgreSQL"

    def in_window(self, started: float, ended: float) -> bool:
        """Whether [started, ended] overlaps the outage or the grace after the restart."""
        if self.down is None or ended < self.down:
            return False
        return self.up is None or started <= self.up + FAULT_GRACE

    def may_refuse(self, route: str) -> bool:
        """Whether a REST route needs the server, so that it may answer 503 in the window. The
        REST API keeps serving without Redis (the README's Redis policy); only OTP and login
        refuse then, and the load sends neither."""
        return self.kind == "postgres" and not route.startswith("WS ")

    def needs(self, route: str) -> bool:
        """Whether a 2xx of the route shows the server back: any REST answer needs PostgreSQL;
        of Redis, a socket's own `message.new` is what needs the channel layer."""
        return not route.startswith("WS ") if self.kind == "postgres" else route == SOCKET_SEND

    def tally(self, route: str, kind: str, started: float, ended: float) -> None:
        self.answers[kind, self.in_window(started, ended), route.startswith("WS ")] += 1
        back = self.up is not None and ended >= self.up
        if kind == "ok" and back and self.recovered is None and self.needs(route):
            self.recovered = ended

    async def run(self) -> None:
        """Stop the server `at` seconds into the stage, start it `seconds` after."""
        await asyncio.sleep(self.at)
        log(f"  fault: stopping {self.name} for {self.seconds:g} s")
        self.down = time.monotonic()
        await asyncio.to_thread(self.stop)
        self.stopped = time.monotonic()
        await asyncio.sleep(max(0.0, self.down + self.seconds - self.stopped))
        self.restarting = time.monotonic()
        await asyncio.to_thread(self.start)
        self.up = time.monotonic()
        log(f"  fault: {self.name} is back ({self.up - self.down:.1f} s after the stop began)")


class TryAgainLater(ConnectionError):
    """The server closed the socket with 1013 during an outage: reconnect later."""


def unavailable(answer: Answer | None) -> bool:
    return answer is not None and answer.status == 503 and answer.code == "service_unavailable"


# --- A virtual user ---------------------------------------------------------------------------


class VirtualUser:
    def __init__(self, index: int, seeded: dict[str, str], world: World) -> None:
        self.index = index
        self.id = seeded["user"]
        self.token = seeded["access"]
        self.listing = seeded["listing"]  # active, for boosts and for others to ask about
        self.world = world
        self.rng = random.Random(index)  # noqa: S311 - a load mix, not secrets
        self.ip = f"10.{index // 250}.{index % 250}.{1 + index % 200}"
        self.seen: list[str] = []
        self.own: list[str] = []  # created here, counting against the quota
        self.held = 1  # the seeded listing
        self.favorites: set[str] = set()
        self.socket: Any = None
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.backoff = 0.0  # after a 1013: the socket's next reconnect waits about this long
        self.reconnect_at = 0.0  # time.monotonic()
        self.catch_up_due = False
        self.last_seq: dict[str, int] = {}  # thread → the last message seen, latest thread last
        self.stage = Stage(users=0, seconds=0)  # run() sets the stage under way

    @property
    def ledger(self) -> Ledger:
        return self.world.ledger

    # --- Requests ------------------------------------------------------------------------

    async def call(
        self,
        route: str,
        method: str,
        path: str,
        *,
        data: Any = None,
        body: bytes = b"",
        content_type: str = "",
        ok: Sequence[int] = (200,),
        headers: dict[str, str] | None = None,
        signed_in: bool = True,
    ) -> Answer | None:
        sent = dict(headers or {})
        sent["X-Forwarded-For"] = self.ip
        if signed_in:
            sent["Authorization"] = f"Bearer {self.token}"
        if data is not None:
            body, content_type = json.dumps(data).encode(), "application/json"
        if content_type:
            sent["Content-Type"] = content_type
        started = time.monotonic()
        try:
            status, payload = await asyncio.wait_for(
                http(method, path, sent, body), REQUEST_TIMEOUT
            )
        except (OSError, TimeoutError, ValueError, IndexError, zlib.error) as exc:
            self.stage.note(route, "error", f"{type(exc).__name__} {exc}"[:200])
            self.tally(route, "error", started)
            return None
        self.stage.latencies[route].append((time.monotonic() - started) * 1000)
        answer = Answer(status, payload, ok=status in ok)
        self.tally(route, self.classify(route, answer, started), started)
        return answer

    def classify(self, route: str, answer: Answer, started: float) -> str:
        if answer.ok:
            self.stage.outcomes[route, "ok"] += 1
            return "ok"
        code = answer.code
        fault = self.world.fault
        if answer.status == 429 or EXPECTED.get(route, {}).get(answer.status) == code:
            self.stage.outcomes[route, "expected"] += 1
            self.stage.expected[route, answer.status, code] += 1
            return "expected"
        if (
            unavailable(answer)
            and fault is not None
            and fault.may_refuse(route)
            and fault.in_window(started, time.monotonic())
        ):
            self.stage.outcomes[route, "unavailable"] += 1
            return "unavailable"
        kind = "5xx" if answer.status >= 500 else "unexpected"
        self.stage.note(route, kind, f"{answer.status} {answer.body[:200]!r}")
        return kind

    def tally(self, route: str, kind: str, started: float) -> None:
        if self.world.fault is not None:
            self.world.fault.tally(route, kind, started, time.monotonic())

    async def call_until_served(
        self, route: str, method: str, path: str, *, what: str, **options: Any
    ) -> Answer | None:
        """A write, sent again after a 503 `service_unavailable` with a backoff, as the apps
        (the same client_id) and a payment provider (the same event) do under a fault. A repeat
        may find the first one done: then 200 is an answer too."""
        answer = await self.call(route, method, path, **options)
        for delay in RETRY_DELAYS:
            if self.world.fault is None or not unavailable(answer):
                break
            self.world.fault.retries[what] += 1
            await asyncio.sleep(delay * (0.5 + self.rng.random()))
            options["ok"] = (200, *options.get("ok", (200,)))
            answer = await self.call(route, method, path, **options)
        return answer

    def remember(self, page: Any) -> Any:
        """Cards of a page, for later views, favorites and chats; the page's next cursor."""
        if not isinstance(page, dict):
            return None
        for card in page.get("results", ()):
            if card.get("seller", {}).get("id") != self.id:
                self.seen.append(card["id"])
        del self.seen[:-200]
        return page.get("next")

    # --- Actions ---------------------------------------------------------------------------

    async def browse(self) -> None:
        path = "/api/v1/listings/feed/"
        if self.rng.random() < 0.3:
            path += "?category=" + self.rng.choice(("car", "horse", "real_estate"))
        answer = await self.call("GET /api/v1/listings/feed/", "GET", path)
        for _page in range(self.rng.randint(0, 3)):
            following = self.remember(answer.json()) if answer and answer.ok else None
            if not following:
                return
            await self.think(0.3)
            route = "GET /api/v1/listings/feed/ ?cursor="
            answer = await self.call(route, "GET", path_of(str(following)))
        if answer and answer.ok:
            self.remember(answer.json())

    async def search(self) -> None:
        if self.rng.random() < 0.5:
            route, query = "GET /api/v1/listings/ ?filters", self.rng.choice(SEARCHES)
            pairs = [(k, v) for k, _, v in (part.partition("=") for part in query.split("&"))]
        else:
            route, pairs = "GET /api/v1/listings/ ?q=", [("q", self.rng.choice(TEXT_QUERIES))]
        answer = await self.call(route, "GET", "/api/v1/listings/?" + urllib.parse.urlencode(pairs))
        following = self.remember(answer.json()) if answer and answer.ok else None
        if following and self.rng.random() < 0.3:
            answer = await self.call(route + " &cursor=", "GET", path_of(str(following)))
            if answer and answer.ok:
                self.remember(answer.json())

    async def view(self) -> None:
        if self.seen:
            listing = self.rng.choice(self.seen)
            await self.call("GET /api/v1/listings/{id}/", "GET", f"/api/v1/listings/{listing}/")

    async def favorite(self) -> None:
        if not self.seen:
            return
        listing = self.rng.choice([*self.favorites, *self.seen[-20:]])
        adding = listing not in self.favorites
        method = "POST" if adding else "DELETE"
        route = f"{method} /api/v1/listings/{{id}}/favorite/"
        answer = await self.call(route, method, f"/api/v1/listings/{listing}/favorite/", ok=(204,))
        if answer is None or unavailable(answer):  # either way, maybe: nothing to expect of it
            self.ledger.unknown["favorite"] += 1
            self.ledger.favorites.pop((self.id, listing), None)
        elif answer.ok:
            self.ledger.favorites[self.id, listing] = adding
            (self.favorites.add if adding else self.favorites.discard)(listing)

    async def chat(self) -> None:
        """As a buyer: open the thread about a listing and write."""
        others = [u.listing for u in self.world.users if u is not self]
        if self.rng.random() < 0.6 or not self.seen:
            listing = self.rng.choice(others)  # another user's: they may answer
        else:
            listing = self.rng.choice(self.seen)
        answer = await self.call(
            "POST /api/v1/chat/threads/",
            "POST",
            "/api/v1/chat/threads/",
            data={"listing_id": listing},
            ok=(200, 201),
        )
        if answer and answer.ok:
            thread = str(answer.json()["id"])
            for _message in range(self.rng.randint(1, 2)):
                await self.send(thread, "Здравствуйте! Ещё продаётся? Когда можно посмотреть?")
                await self.think(0.5)

    async def answer(self) -> None:
        """Catch up on a thread with unread messages, answer, mark it read."""
        listed = await self.call("GET /api/v1/chat/threads/", "GET", "/api/v1/chat/threads/")
        page = listed.json() if listed and listed.ok else None
        unread = [t for t in (page or {}).get("results", ()) if t.get("unread_count")]
        if not unread:
            return
        thread = self.rng.choice(unread)
        last = (thread.get("last_message") or {}).get("seq", 0)
        after = max(0, int(last) - int(thread["unread_count"]))
        await self.call(
            CATCH_UP, "GET", f"/api/v1/chat/threads/{thread['id']}/messages/?after={after}"
        )
        await self.think(0.5)
        await self.send(str(thread["id"]), "Да, продаётся. Приходите завтра после обеда.")
        await self.call(
            "POST /api/v1/chat/threads/{id}/read/",
            "POST",
            f"/api/v1/chat/threads/{thread['id']}/read/",
            data={"up_to_seq": last},
            ok=(204,),
        )

    async def send(self, thread: str, body: str) -> None:
        client_id = uuid.uuid4().hex
        over_socket = self.socket is not None and self.rng.random() < 0.5
        message, refused = await self.send_once(thread, body, client_id, over_socket=over_socket)
        for delay in RETRY_DELAYS:  # refused under a fault: again, with the same client_id
            if not refused or self.world.fault is None:
                break
            self.world.fault.retries["message"] += 1
            await asyncio.sleep(delay * (0.5 + self.rng.random()))
            message, refused = await self.send_once(thread, body, client_id, over_socket=False)
        if refused:
            self.ledger.unknown["message"] += 1
        if message is not None:
            self.ledger.messages[str(message["id"])] = (thread, client_id, self.id)
            self.ledger.threads.add(thread)
            self.saw(thread, int(message["seq"]))

    async def send_once(
        self, thread: str, body: str, client_id: str, *, over_socket: bool
    ) -> tuple[dict[str, Any] | None, bool]:
        """The message if acknowledged; whether it was refused for an outage (then resent)."""
        if over_socket and self.socket is not None:
            return await self.send_over_socket(thread, body, client_id)
        answer = await self.call(
            "POST /api/v1/chat/threads/{id}/messages/",
            "POST",
            f"/api/v1/chat/threads/{thread}/messages/",
            data={"body": body, "client_id": client_id},
            ok=(200, 201),
        )
        if answer is None:
            self.ledger.unknown["message"] += 1
        return (answer.json() if answer and answer.ok else None), unavailable(answer)

    async def send_over_socket(
        self, thread: str, body: str, client_id: str
    ) -> tuple[dict[str, Any] | None, bool]:
        waiter = asyncio.get_running_loop().create_future()
        self.waiting[client_id] = waiter
        frame = {"type": "message.send", "thread_id": thread, "body": body, "client_id": client_id}
        started = time.monotonic()
        try:
            await self.socket.send(json.dumps(frame))
            event = await asyncio.wait_for(waiter, ACK_TIMEOUT)
        except Exception as exc:  # a closed socket or no acknowledgement in time
            self.waiting.pop(client_id, None)
            if self.closed_for_outage(exc, started):
                self.stage.outcomes[SOCKET_SEND, "unavailable"] += 1
                self.tally(SOCKET_SEND, "unavailable", started)
                return None, True
            self.ledger.unknown["message"] += 1
            self.stage.note(SOCKET_SEND, "error", f"{type(exc).__name__} {exc}"[:200])
            self.tally(SOCKET_SEND, "error", started)
            return None, False
        self.stage.latencies[SOCKET_SEND].append((time.monotonic() - started) * 1000)
        if event["type"] == "message.new":
            self.stage.outcomes[SOCKET_SEND, "ok"] += 1
            self.tally(SOCKET_SEND, "ok", started)
            return dict(event["message"]), False
        code = str(event.get("code", ""))
        fault = self.world.fault
        if code == "throttled":
            kind = "expected"
            self.stage.outcomes[SOCKET_SEND, kind] += 1
            self.stage.expected[SOCKET_SEND, 429, code] += 1
        elif (
            code == "service_unavailable"
            and fault is not None
            and fault.in_window(started, time.monotonic())
        ):
            kind = "unavailable"
            self.stage.outcomes[SOCKET_SEND, kind] += 1
        else:
            kind = "5xx" if code == "server_error" else "unexpected"
            self.stage.note(SOCKET_SEND, kind, str(event))
        self.tally(SOCKET_SEND, kind, started)
        return None, kind == "unavailable"

    def closed_for_outage(self, exc: Exception, started: float) -> bool:
        """A send cut off by a 1013 close in the fault's window: refused, not a transport
        error."""
        from websockets.exceptions import ConnectionClosed

        fault = self.world.fault
        if fault is None or not fault.in_window(started, time.monotonic()):
            return False
        if isinstance(exc, ConnectionClosed):
            return exc.rcvd is not None and exc.rcvd.code == 1013
        return isinstance(exc, TryAgainLater)

    def saw(self, thread: str, seq: int) -> None:
        """The last message seen of a thread, for a catch-up after a reconnect."""
        self.last_seq[thread] = max(seq, self.last_seq.pop(thread, 0))

    async def create(self) -> None:
        if self.held >= QUOTA and self.own:
            await self.archive(self.own.pop(0))
        listing = await self.create_one()
        if listing is None:
            return
        content_type, body = multipart({"kind": "image"}, "file", "photo.jpg", self.world.photo)
        uploaded = await self.call(
            "POST /api/v1/listings/{id}/media/",
            "POST",
            f"/api/v1/listings/{listing}/media/",
            body=body,
            content_type=content_type,
            ok=(201,),
        )
        if uploaded and uploaded.ok:
            submitted = await self.call(
                "POST /api/v1/listings/{id}/submit/", "POST", f"/api/v1/listings/{listing}/submit/"
            )
            if submitted is None or unavailable(submitted):
                self.ledger.unknown["submit"] += 1
                self.ledger.listings[listing] = (self.id, "")  # stored, in either status
            elif submitted.ok:
                self.ledger.listings[listing] = (self.id, "pending_review")

    async def create_one(self) -> str | None:
        make, model = CARS[self.rng.randrange(len(CARS))]
        data = {**car_listing(self.rng.randrange(1000), make, model), "client_id": uuid.uuid4().hex}
        answer = await self.call_until_served(
            "POST /api/v1/listings/",
            "POST",
            "/api/v1/listings/",
            what="listing",
            data=data,
            ok=(201,),
        )
        if answer is None or unavailable(answer):
            self.ledger.unknown["listing"] += 1
            return None
        if not answer.ok:
            if answer.code == "listing_limit_reached":
                self.held = QUOTA
            return None
        listing = str(answer.json()["id"])
        self.ledger.listings[listing] = (self.id, "draft")
        self.own.append(listing)
        self.held += 1
        return listing

    async def archive(self, listing: str) -> None:
        route = "DELETE /api/v1/listings/{id}/"
        answer = await self.call(route, "DELETE", f"/api/v1/listings/{listing}/", ok=(204,))
        if answer is None or unavailable(answer):
            self.ledger.unknown["archive"] += 1
            self.ledger.listings[listing] = (self.id, "")
        elif answer.ok:
            self.ledger.listings[listing] = (self.id, "archived")
            self.held -= 1

    async def blitz(self) -> None:
        """Several creates at once, more than the free slots: exactly the free ones may pass."""
        me = await self.call("GET /api/v1/me/", "GET", "/api/v1/me/")
        if not (me and me.ok):
            return
        quota = me.json()["listing_quota"]
        free = max(0, int(quota["limit"]) - int(quota["used"]))
        sent = free + 3
        created = await asyncio.gather(*(self.create_one() for _ in range(sent)))
        accepted = sum(1 for listing in created if listing is not None)
        self.ledger.blitzes.append((self.id, free, sent, accepted))

    async def boost(self) -> None:
        """Buy a boost of the seeded listing; the provider calls back twice at once."""
        plan = self.world.plan
        bought = await self.call(
            "POST /api/v1/promotions/",
            "POST",
            "/api/v1/promotions/",
            data={"listing_id": self.listing, "plan": plan["code"]},
            ok=(201,),
        )
        if not (bought and bought.ok):
            return
        promotion = bought.json()
        payment = promotion["payment"]
        event = {
            "event_id": f"load-{uuid.uuid4().hex}",
            "payment_id": payment["id"],
            "status": "succeeded",
            "amount": payment["amount"],
            "currency": payment["currency"],
        }
        copies = [event, event]
        if self.rng.random() < 0.3:  # the provider retrying under a new event id
            copies.append({**event, "event_id": f"load-{uuid.uuid4().hex}"})
        answers = await asyncio.gather(*(self.webhook(copy) for copy in copies))
        acks = [answer.json() for answer in answers if answer is not None and answer.ok]
        if not acks:
            self.ledger.unknown["payment"] += 1
            return
        # Acknowledged: the payment must be found paid, and applied exactly once. Of the two
        # copies of one event, both answered, exactly one may be new (`duplicate` false).
        twins = [a.json() for a in answers[:2] if a is not None and a.ok]
        fresh = sum(1 for ack in twins if not ack.get("duplicate"))
        record: dict[str, Any] = {"listing": self.listing, "days": plan["days"], "acks": len(acks)}
        record["twins_ok"] = len(twins) < 2 or fresh == 1
        self.ledger.payments[str(payment["id"])] = record
        await self.think(0.5)
        status = await self.call(
            "GET /api/v1/payments/{id}/", "GET", f"/api/v1/payments/{payment['id']}/"
        )
        if status and status.ok:
            record["status"] = status.json()["status"]

    async def webhook(self, event: dict[str, Any]) -> Answer | None:
        body = json.dumps(event).encode()
        digest = hmac.new(self.world.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        return await self.call_until_served(
            "POST /api/v1/payments/webhook/{provider}/",
            "POST",
            "/api/v1/payments/webhook/test/",
            what="webhook",
            body=body,
            content_type="application/json",
            headers={"X-Signature": f"sha256={digest}"},
            signed_in=False,
        )

    async def profile(self) -> None:
        await self.call("GET /api/v1/me/", "GET", "/api/v1/me/")

    # --- The socket --------------------------------------------------------------------------

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        route = "WS /ws/chat/ connect"
        started = time.monotonic()
        try:
            self.socket = await asyncio.wait_for(
                connect(
                    f"ws://127.0.0.1:{WS_PORT}/ws/chat/",
                    subprotocols=["bearer", self.token],  # type: ignore[list-item]
                    max_queue=None,
                ),
                REQUEST_TIMEOUT,
            )
        except Exception as exc:
            self.stage.note(route, "error", f"{type(exc).__name__} {exc}"[:200])
            self.tally(route, "error", started)
            return
        self.stage.latencies[route].append((time.monotonic() - started) * 1000)
        self.stage.outcomes[route, "ok"] += 1
        self.tally(route, "ok", started)
        for task in self.tasks:
            task.cancel()
        self.tasks = [asyncio.create_task(self.listen()), asyncio.create_task(self.ping())]

    async def listen(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.socket:
                event = json.loads(raw)
                self.backoff = 0.0  # the socket works: a later 1013 backs off from 1 s again
                if event.get("type") == "message.new":
                    client_id = event["message"].get("client_id")
                    self.saw(str(event["message"]["thread_id"]), int(event["message"]["seq"]))
                else:
                    client_id = event.get("client_id")
                waiter = self.waiting.pop(client_id, None) if client_id else None
                if waiter is not None and not waiter.done():
                    waiter.set_result(event)
        closed = ConnectionError("the socket closed")
        if self.socket is not None:  # not closed by disconnect(): the app will reconnect
            code = getattr(self.socket, "close_code", None)
            now, fault = time.monotonic(), self.world.fault
            if code == 1013 and fault is not None and fault.in_window(now, now):
                # Try again later: reconnect with a backoff, then catch up with `?after=`.
                self.stage.outcomes[SOCKET_OPEN, "1013"] += 1
                fault.tally(SOCKET_OPEN, "1013", now, now)
                self.backoff = min(RECONNECT_MAX, max(1.0, 2 * self.backoff))
                self.reconnect_at = now + self.backoff * (0.5 + self.rng.random())
                self.catch_up_due = True
                closed = TryAgainLater("the socket closed with 1013")
            else:
                self.stage.note(SOCKET_OPEN, "error", f"closed by the server: {code}")
                self.tally(SOCKET_OPEN, "error", now)
            self.socket = None
        for waiter in self.waiting.values():
            if not waiter.done():
                waiter.set_exception(closed)
        self.waiting.clear()

    async def catch_up(self) -> None:
        """After a 1013 and a reconnect: what the socket missed of the latest threads."""
        self.catch_up_due = False
        assert self.world.fault is not None  # noqa: S101 - only a fault's 1013 asks for this
        self.world.fault.retries["catch-up"] += 1
        for thread, seq in list(self.last_seq.items())[-3:]:
            path = f"/api/v1/chat/threads/{thread}/messages/?after={seq}"
            answer = await self.call(CATCH_UP, "GET", path)
            page = answer.json() if answer and answer.ok else None
            rows = page.get("results", ()) if isinstance(page, dict) else page or ()
            for message in rows:
                self.saw(thread, int(message["seq"]))
            self.catch_up_due = self.catch_up_due or unavailable(answer)

    async def ping(self) -> None:
        while self.socket is not None:
            await asyncio.sleep(PING_SECONDS)
            with contextlib.suppress(Exception):
                await self.socket.send('{"type": "ping"}')

    async def disconnect(self) -> None:
        socket, self.socket = self.socket, None
        for task in self.tasks:
            task.cancel()
        if socket is not None:
            with contextlib.suppress(Exception):
                await socket.close()

    # --- A stage ------------------------------------------------------------------------------

    async def think(self, mean: float | None = None) -> None:
        mean = self.world.think if mean is None else mean * self.world.think
        await asyncio.sleep(min(4 * mean, self.rng.expovariate(1 / mean)) if mean > 0 else 0)

    async def run(self, stage: Stage, deadline: float, *, blitz: bool) -> None:
        self.stage = stage
        loop = asyncio.get_running_loop()
        await asyncio.sleep(self.rng.random() * min(2.0, stage.seconds / 4))  # not all at once
        try:
            await self.connect()  # the app is open: its socket too
            if blitz:
                await self.blitz()
            names, weights = list(ACTIONS), list(ACTIONS.values())
            while loop.time() < deadline:
                if self.socket is None and time.monotonic() >= self.reconnect_at:
                    await self.connect()
                    if self.socket is not None and self.catch_up_due:
                        await self.catch_up()
                action: Callable[[], Awaitable[None]] = getattr(
                    self, self.rng.choices(names, weights)[0]
                )
                await action()
                await self.think()
        finally:
            await self.disconnect()


@dataclass
class World:
    ledger: Ledger
    users: list[VirtualUser]
    plan: dict[str, Any]
    webhook_secret: str
    think: float
    photo: bytes
    fault: Fault | None = None


# --- Processes ---------------------------------------------------------------------------------


class Worker(Server):
    """The Celery worker as deploy/worker.sh runs it (no beat: that is a service of its own);
    stopped like the web servers."""

    def __init__(self, env: dict[str, str], work: Path) -> None:
        self.shape, self.port, self.env = "worker", 0, env
        self.log_path = work / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        argv = [str(VENV_BIN / "celery"), "-A", "marketplace", "worker", "--loglevel=INFO"]
        argv += ["--queues", "critical,default,media"]  # deploy/worker.sh's default: every queue
        Path(self.env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 (fixed argv built here, no shell)
                [*argv, "--concurrency", "2"],
                cwd=feed_search.SOURCE,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.3)
        tail = self.log_path.read_text(errors="replace")[-3000:]
        self.stop()
        raise SystemExit(f"the Celery worker did not start:\n{tail}")


def environment(work: Path, secret: str, redis_url: str) -> dict[str, str]:
    env = server_env(work)
    # The production throttles stay: every user has an address of their own (X-Forwarded-For
    # through TRUSTED_PROXIES, as behind nginx) and their own token.
    env.pop("THROTTLE_ANON_RATE")
    env.pop("THROTTLE_USER_RATE")
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
            "DATABASE_URL": pg_url(DB_NAME),
            "REDIS_URL": redis_url,
            "PAYMENT_PROVIDERS": "test",
            "PAYMENTS_ALLOW_TEST_PROVIDER": "true",
            "PAYMENTS_WEBHOOK_SECRET": secret,
            "MEDIA_ROOT": str(work / "media"),
            "PYTHONPATH": str(feed_search.SOURCE),
        }
    )
    env.pop("ANTHROPIC_API_KEY", None)  # rule-based pre-checks
    return env


def service_env(env: dict[str, str], work: Path, name: str) -> dict[str, str]:
    """Each service its own Prometheus directory, as each container has."""
    return {**env, "PROMETHEUS_MULTIPROC_DIR": str(work / f"prometheus-{name}")}


def prepare_template(listings: int, env: dict[str, str]) -> str:
    """`marketplace_load_<N>_template`, built once by the feed benchmark's loader."""
    template = f"{DB_NAME}_{listings}_template"
    fingerprint = migrations_fingerprint()
    with pg_connect("postgres", autocommit=True) as admin:
        current = database_comment(admin, template)
        if current != fingerprint:
            log(f"building {template} ({'absent' if current is None else 'out of date'})")
            build_template(template, listings, fingerprint, env)
    return template


def prepare_database(listings: int, env: dict[str, str]) -> None:
    """`marketplace_load` from the template."""
    template = prepare_template(listings, env)
    copy = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
    with pg_connect("postgres", autocommit=True) as admin:
        drop_database(admin, DB_NAME)
        admin.execute(copy.format(sql.Identifier(DB_NAME), sql.Identifier(template)))
    log(f"{DB_NAME} copied from {template}")


def private_database(
    listings: int, env: dict[str, str], owned: contextlib.ExitStack[bool | None]
) -> PrivatePostgres:
    """`--fault postgres`: a private cluster holding `marketplace_load`, dumped from the shared
    server's template (read only there; 8 to 10 s for 100,000 listings, so the loader is not
    run again there), analyzed and migrated. From here on the bench's database is that cluster's:
    `env` and feed_search's connection settings point at it."""
    from tests.servers import PrivatePostgres

    template = prepare_template(listings, env)
    root = Path(tempfile.mkdtemp(prefix="load-postgres-"))
    owned.callback(shutil.rmtree, root, ignore_errors=True)
    server = PrivatePostgres(root, DB_NAME)
    owned.callback(server.discard)
    server.init()
    started = time.monotonic()
    source = ["-h", feed_search.PG_HOST, "-p", str(feed_search.PG_PORT), "-U", feed_search.PG_USER]
    target = ["-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-d", DB_NAME]
    dump = subprocess.Popen(  # noqa: S603 (fixed argv built here, no shell)
        [str(server.bin / "pg_dump"), *source, "--no-owner", "--no-privileges", template],
        stdout=subprocess.PIPE,
    )
    restore = subprocess.run(  # noqa: S603 (fixed argv built here, no shell)
        [str(server.bin / "psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1", *target],
        stdin=dump.stdout,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if dump.wait(timeout=60) != 0 or restore.returncode != 0:
        raise SystemExit(f"could not copy {template} to the private cluster: {restore.stderr}")
    feed_search.PG_HOST, feed_search.PG_PORT, feed_search.PG_USER = (
        "127.0.0.1",
        server.port,
        "postgres",
    )
    with pg_connect(DB_NAME, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")  # a dump carries no statistics
    env["DATABASE_URL"] = pg_url(DB_NAME)
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
    run_checked(
        migrate, env={k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}, timeout=600
    )
    log(
        f"{DB_NAME} copied from {template} to a private cluster on port {server.port}"
        f" in {time.monotonic() - started:.0f} s"
    )
    return server


def private_redis(owned: contextlib.ExitStack[bool | None]) -> PrivateRedis:
    """`--fault redis`: a redis-server of its own on a free port."""
    from tests.servers import PrivateRedis

    server = PrivateRedis()
    owned.callback(server.stop)
    server.start()
    log(f"a private Redis on port {server.port}")
    return server


def empty_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()


def cpu_sample(services: dict[str, Server], redis_url: str) -> dict[str, dict[int, int]]:
    """Clock ticks by process, for each part of the system."""
    table = proc_table()
    port = urllib.parse.urlsplit(redis_url).port or 6379
    sample = {
        name: {pid: table[pid][1] for pid in tree(table, server.process.pid)}
        for name, server in services.items()
        if server.process is not None
    }
    sample["PostgreSQL"] = {
        pid: ticks
        for pid, (_parent, ticks, cmd) in table.items()
        if cmd.startswith("postgres:") and f" {DB_NAME} " in cmd
    }
    sample["Redis"] = {
        pid: ticks
        for pid, (_parent, ticks, cmd) in table.items()
        if cmd.startswith("redis-server") and f":{port}" in cmd
    }
    usage = resource.getrusage(resource.RUSAGE_SELF)
    sample["clients"] = {0: round((usage.ru_utime + usage.ru_stime) * CLOCK_TICKS)}
    sample["machine"] = {0: machine_busy_ticks()}
    return sample


# --- The run -------------------------------------------------------------------------------------


async def run_stages(
    world: World,
    services: dict[str, Server],
    stages: Sequence[int],
    seconds: float,
    redis_url: str,
) -> list[Stage]:
    results = []
    for index, count in enumerate(stages):
        stage = Stage(users=count, seconds=seconds)
        log(f"stage: {count} users for {seconds:g} s")
        loop = asyncio.get_running_loop()
        before, started = cpu_sample(services, redis_url), loop.time()
        deadline = started + seconds
        tasks = [
            asyncio.create_task(user.run(stage, deadline, blitz=user.index % 8 == 0))
            for user in world.users[:count]
        ]
        if world.fault is not None and world.fault.stage == index:
            await world.fault.run()  # the users go on meanwhile
        _done, late = await asyncio.wait(tasks, timeout=seconds + STAGE_GRACE)
        for task in late:
            task.cancel()
            stage.note("(stage)", "error", "a user's action outlived the stage's grace period")
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                stage.note("(client)", "error", repr(task.exception())[:200])
        stage.elapsed = loop.time() - started
        after = cpu_sample(services, redis_url)
        stage.cpu = {
            name: ticks_spent(before.get(name, {}), ticks) / CLOCK_TICKS / stage.elapsed
            for name, ticks in after.items()
        }
        # Whatever else kept the machine's CPUs busy meanwhile (other people's processes).
        parts = sum(cores for name, cores in stage.cpu.items() if name != "machine")
        stage.cpu["other"] = max(0.0, stage.cpu["machine"] - parts)
        results.append(stage)
        total = sum(stage.outcomes.values())
        log(
            f"  {total} requests, {total / stage.elapsed:.0f}/s; expected 4xx "
            f"{stage.count('expected')}, other 4xx {stage.count('unexpected')}, "
            f"5xx {stage.count('5xx')}, errors {stage.count('error')}"
        )
    return results


def drain(ledger: Ledger, seconds: float) -> None:
    """Wait for the worker to pre-check every listing that entered review."""
    pending = [i for i, (_author, status) in ledger.listings.items() if status == "pending_review"]
    deadline = time.monotonic() + seconds
    missing = len(pending)
    while pending and time.monotonic() < deadline:
        missing = len(unchecked(pending))
        if not missing:
            break
        time.sleep(1)
    log(f"pre-checks: {len(pending) - missing}/{len(pending)} done")


def sweep(ledger: Ledger, redis_url: str, seconds: float) -> str:
    """After a fault: the listings in review still without a pre-check (their enqueue was lost)
    are made 10 minutes older, as if the sweep's 5 minutes had passed, and the sweep is sent
    to the worker as beat would; then wait for it to pre-check them."""
    from celery import Celery

    pending = [i for i, (_author, status) in ledger.listings.items() if status == "pending_review"]
    lacking = unchecked(pending)
    if not lacking:
        return f"sweep: none of {len(pending)} listings in review lacked its pre-check"
    with pg_connect(DB_NAME) as conn:
        conn.execute(
            "UPDATE listings_listing SET review_requested_at = review_requested_at"
            " - interval '10 minutes' WHERE id = ANY(%s::uuid[])",
            [lacking],
        )
    # To the queue beat's sweeps go to (CELERY_TASK_ROUTES): a bare app knows no routes.
    Celery(broker=redis_url, set_as_current=False).send_task(
        "moderation.requeue_missing_prechecks", queue="default"
    )
    deadline = time.monotonic() + seconds
    left = lacking
    while left and time.monotonic() < deadline:
        time.sleep(1)
        left = unchecked(lacking)
    text = (
        f"sweep: {len(lacking)} of {len(pending)} listings in review lacked a pre-check after"
        f" the worker drained; made 10 minutes older (the sweep leaves fresh ones to their own"
        f" task: this stands for its 5 minutes passing) and `moderation.requeue_missing_prechecks`"
        f" sent; {len(lacking) - len(left)} pre-checked then"
    )
    log(text)
    return text


def unchecked(listing_ids: list[str]) -> list[str]:
    with pg_connect(DB_NAME) as conn:
        rows = conn.execute(
            "SELECT l.id::text FROM listings_listing l WHERE l.id = ANY(%s::uuid[])"
            " AND NOT EXISTS (SELECT 1 FROM moderation_moderationevent e"
            " WHERE e.listing_id = l.id AND e.kind = 'ai_precheck')",
            [listing_ids],
        ).fetchall()
    return [row[0] for row in rows]


# --- The consistency check ---------------------------------------------------------------------


def favorite_drift(conn: Any) -> dict[str, int]:
    """favorites_count less the favorites rows, by listing (the generated data's counts have no
    rows behind them): the load must leave each difference as it found it."""
    rows = conn.execute(
        "SELECT l.id::text, l.favorites_count - count(f.id) FROM listings_listing l"
        " LEFT JOIN listings_favorite f ON f.listing_id = l.id GROUP BY l.id"
    ).fetchall()
    return {listing: int(drift) for listing, drift in rows}


def check(
    ledger: Ledger, users: list[VirtualUser], drift_before: dict[str, int]
) -> list[tuple[bool, str]]:
    out: list[tuple[bool, str]] = []
    with pg_connect(DB_NAME) as conn:
        out += check_messages(conn, ledger)
        out += check_listings(conn, ledger, users)
        out += check_favorites(conn, ledger, users, drift_before)
        out += check_payments(conn, ledger)
    return out


def check_messages(conn: Any, ledger: Ledger) -> list[tuple[bool, str]]:
    rows = conn.execute(
        "SELECT id::text, thread_id::text, client_id, sender_id::text FROM chat_message"
        " WHERE id = ANY(%s::uuid[])",
        [list(ledger.messages)],
    ).fetchall()
    found = {row[0]: tuple(row[1:]) for row in rows}
    lost = [m for m in ledger.messages if m not in found]
    wrong = [m for m, stored in found.items() if stored != ledger.messages[m]]
    gaps = conn.execute(
        "SELECT t.id FROM chat_thread t LEFT JOIN chat_message m ON m.thread_id = t.id"
        " WHERE t.id = ANY(%s::uuid[]) GROUP BY t.id"
        " HAVING count(m.id) <> t.last_seq OR count(DISTINCT m.seq) <> t.last_seq"
        " OR coalesce(max(m.seq), 0) <> t.last_seq",
        [list(ledger.threads)],
    ).fetchall()
    return [
        (
            not lost and not wrong,
            f"messages: {len(ledger.messages)} acknowledged, {len(found)} stored as acknowledged"
            f" ({len(lost)} lost, {len(wrong)} different)",
        ),
        (
            not gaps,
            f"threads: {len(ledger.threads)} written to, {len(gaps)} whose seq is not 1..last_seq",
        ),
    ]


def check_listings(conn: Any, ledger: Ledger, users: list[VirtualUser]) -> list[tuple[bool, str]]:
    rows = conn.execute(
        "SELECT id::text, author_id::text, status FROM listings_listing WHERE id = ANY(%s::uuid[])",
        [list(ledger.listings)],
    ).fetchall()
    found = {row[0]: (row[1], row[2]) for row in rows}
    lost = [i for i in ledger.listings if i not in found]
    wrong = [
        i
        for i, (author, status) in found.items()
        if author != ledger.listings[i][0] or ledger.listings[i][1] not in ("", status)
    ]
    over = conn.execute(
        "SELECT author_id, count(*) FROM listings_listing WHERE business_id IS NULL"
        " AND status = ANY(%s) AND author_id = ANY(%s::uuid[]) GROUP BY author_id"
        " HAVING count(*) > %s",
        [list(QUOTA_STATUSES), [u.id for u in users], QUOTA],
    ).fetchall()
    passed = [b for b in ledger.blitzes if b[3] <= b[1]]
    unchecked_ids = unchecked(
        [i for i, (_a, status) in ledger.listings.items() if status == "pending_review"]
    )
    blitz_sent = sum(b[2] for b in ledger.blitzes)
    blitz_ok = sum(b[3] for b in ledger.blitzes)
    blitz_free = sum(b[1] for b in ledger.blitzes)
    return [
        (
            not lost and not wrong,
            f"listings: {len(ledger.listings)} acknowledged, {len(found) - len(wrong)} stored with"
            f" the acknowledged author and status ({len(lost)} lost, {len(wrong)} different)",
        ),
        (not over, f"quota: {len(over)} of {len(users)} users over {QUOTA} listings"),
        (
            len(passed) == len(ledger.blitzes),
            f"quota blitz: {len(ledger.blitzes)} users sent {blitz_sent} creates at once,"
            f" {blitz_ok} accepted for {blitz_free} free slots; {len(ledger.blitzes) - len(passed)}"
            " got more than their free slots",
        ),
        (not unchecked_ids, f"pre-checks: {len(unchecked_ids)} listings in review without one"),
    ]


def check_favorites(
    conn: Any, ledger: Ledger, users: list[VirtualUser], drift_before: dict[str, int]
) -> list[tuple[bool, str]]:
    rows = conn.execute(
        "SELECT user_id::text, listing_id::text FROM listings_favorite"
        " WHERE user_id = ANY(%s::uuid[])",
        [[u.id for u in users]],
    ).fetchall()
    stored = {(row[0], row[1]) for row in rows}
    wrong = [key for key, on in ledger.favorites.items() if (key in stored) != on]
    touched = {listing for _user, listing in ledger.favorites}
    drift = favorite_drift(conn)
    moved = [i for i in touched if drift.get(i) != drift_before.get(i)]
    return [
        (
            not wrong and not moved,
            f"favorites: {len(ledger.favorites)} (user, listing) pairs, {len(wrong)} not as last"
            f" acknowledged; {len(moved)} of {len(touched)} listings whose favorites_count"
            " drifted from their rows",
        )
    ]


def check_payments(conn: Any, ledger: Ledger) -> list[tuple[bool, str]]:
    rows = conn.execute(
        "SELECT p.id::text, p.status, pr.status, pr.days,"
        " extract(epoch FROM pr.ends_at - pr.starts_at),"
        " (SELECT count(*) FROM promotions_paymentevent e WHERE e.payment_id = p.id AND e.applied),"
        " (SELECT count(*) FROM accounts_auditentry a"
        "   WHERE a.action = 'payment.succeeded' AND a.target_id = p.id::text),"
        " (SELECT count(*) FROM promotions_promotion x WHERE x.payment_id = p.id)"
        " FROM promotions_payment p JOIN promotions_promotion pr ON pr.payment_id = p.id"
        " WHERE p.id = ANY(%s::uuid[])",
        [list(ledger.payments)],
    ).fetchall()
    bad = []
    for payment, status, promotion, days, seconds, applied, audited, promotions in rows:
        record = ledger.payments[payment]
        if (status, promotion, applied, audited, promotions) != ("succeeded", "active", 1, 1, 1):
            bad.append(f"{payment}: {status}/{promotion}, applied {applied}, audited {audited}")
        elif (
            seconds != days * 86400
            or not record["twins_ok"]
            or record.get("status") not in (None, "succeeded")
        ):
            bad.append(f"{payment}: {seconds} s for {days} days; {record}")
    missing = len(ledger.payments) - len(rows)
    overlaps = conn.execute(
        "SELECT l.id FROM listings_listing l WHERE l.id = ANY(%s::uuid[]) AND ("
        " l.boosted_until IS DISTINCT FROM (SELECT max(ends_at) FROM promotions_promotion p"
        "   WHERE p.listing_id = l.id AND p.status = 'active')"
        " OR EXISTS (SELECT 1 FROM promotions_promotion a JOIN promotions_promotion b"
        "   ON a.listing_id = b.listing_id AND a.id < b.id"
        "   WHERE a.listing_id = l.id AND a.status = 'active' AND b.status = 'active'"
        "   AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at))",
        [list({r["listing"] for r in ledger.payments.values()})],
    ).fetchall()
    webhooks = sum(r["acks"] for r in ledger.payments.values())
    return [
        (
            not bad and not missing,
            f"payments: {len(ledger.payments)} paid ({webhooks} webhook calls answered 200),"
            f" {len(rows) - len(bad)} applied exactly once (one event applied, one audit entry,"
            f" one active promotion of the plan's length); {len(bad) + missing} not",
        ),
        (
            not overlaps,
            f"boosts: {len(overlaps)} listings whose paid periods overlap or whose boosted_until"
            " is not the end of the last one",
        ),
    ]


# --- Report --------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def stage_rows(stages: list[Stage], *, fault: bool) -> list[list[str]]:
    rows = []
    for s in stages:
        total = sum(s.outcomes.values())
        cpu = " / ".join(
            f"{s.cpu.get(k, 0):.2f}"
            for k in ("web", "ws", "worker", "PostgreSQL", "Redis", "clients", "other")
        )
        refused = [f"{s.count('unavailable')} / {s.count('1013')}"] if fault else []
        rows.append(
            [
                str(s.users),
                f"{s.elapsed:.0f}",
                str(total),
                f"{total / s.elapsed:.1f}",
                str(s.count("ok")),
                str(s.count("expected")),
                *refused,
                str(s.count("unexpected")),
                str(s.count("5xx")),
                str(s.count("error")),
                cpu,
            ]
        )
    return rows


STAGE_HEADER = [
    "users",
    "s",
    "requests",
    "req/s",
    "2xx",
    "expected 4xx",
    "other 4xx",
    "5xx",
    "errors",
    "CPU cores: web / ws / worker / PostgreSQL / Redis / clients / other processes",
]


def route_rows(stages: list[Stage]) -> list[list[str]]:
    routes = sorted({route for s in stages for route in s.latencies}, key=route_order)
    rows = []
    for route in routes:
        cells = [f"`{route}`"]
        for s in stages:
            values = s.latencies.get(route)
            if not values:
                cells.append("")
                continue
            cells.append(
                f"{len(values)} · {percentile(values, 0.5):.0f} / {percentile(values, 0.95):.0f}"
                f" / {percentile(values, 0.99):.0f}"
            )
        rows.append(cells)
    return rows


def route_order(route: str) -> tuple[str, str]:
    method, _, rest = route.partition(" ")
    return rest, method


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def expected_rows(stages: list[Stage]) -> list[list[str]]:
    total: Counter[tuple[str, int, str]] = Counter()
    for s in stages:
        total.update(s.expected)
    return [
        [f"`{route}`", str(status), code, str(count), WHY.get(code, "")]
        for (route, status, code), count in sorted(total.items())
    ]


FAULT_CLASSES = {
    "ok": "2xx (over the socket: its own `message.new`, a connect)",
    "expected": "expected 4xx (quota, throttles)",
    "unavailable": "503 `service_unavailable` (over the socket: that error event, or a send"
    " cut off by a 1013)",
    "1013": "socket closed with 1013",
    "5xx": "other 5xx, or a 503 not expected",
    "unexpected": "other 4xx",
    "error": "transport errors",
}


def fault_report(fault: Fault, stages: list[Stage]) -> list[str]:
    if fault.down is None or fault.stopped is None or fault.up is None or fault.restarting is None:
        return [f"{fault.name} was not stopped and started: the run ended first.", ""]
    window = fault.up + FAULT_GRACE - fault.down
    rows = [
        [
            label,
            *(
                str(fault.answers[kind, within, socket])
                for socket in (False, True)
                for within in (True, False)
            ),
        ]
        for kind, label in FAULT_CLASSES.items()
    ]
    header = [
        "answer",
        "REST, in the window",
        "REST, outside",
        "socket, in the window",
        "socket, outside",
    ]
    retries = ", ".join(f"{n} {what}" for what, n in sorted(fault.retries.items())) or "none"
    refused: Counter[str] = Counter()
    for stage in stages:
        refused.update({r: n for (r, kind), n in stage.outcomes.items() if kind == "unavailable"})
    by_route = ", ".join(f"`{r}` {n}" for r, n in refused.most_common()) or "none"
    return [
        f"The fault: {fault.name} stopped {fault.at:g} s into the {stages[fault.stage].users}-user"
        f" stage, started again {fault.restarting - fault.down:.1f} s later (the stop took"
        f" {fault.stopped - fault.down:.1f} s, the start {fault.up - fault.restarting:.1f} s);"
        f" the window, from the stop to {FAULT_GRACE:g} s after the start, {window:.1f} s.",
        "",
        markdown(header, rows),
        "",
        f"Refused in the window (503 `service_unavailable`, or its event over the socket), by"
        f" route: {by_route}.",
        "",
        f"Sent again after a 503 or a 1013 (webhooks, messages and listings with the same event"
        f" or client_id; catch-ups with `?after=` after a socket's reconnect): {retries}.",
        "",
    ]


def fault_checks(fault: Fault) -> list[tuple[bool, str]]:
    if fault.down is None or fault.up is None:
        return [(False, f"fault: {fault.name} was not stopped and started")]

    def count(kinds: Sequence[str], *, within: bool, socket: bool | None = None) -> int:
        return sum(
            n
            for (kind, inside, over_socket), n in fault.answers.items()
            if kind in kinds and inside == within and socket in (None, over_socket)
        )

    bad = ("5xx", "unexpected", "error")
    served = count(("ok", "expected"), within=True, socket=False)
    # Without Redis the REST API keeps serving: no REST route the load uses needs it.
    kept_serving = fault.kind != "redis" or served > 0
    recovery = None if fault.recovered is None else fault.recovered - fault.up
    return [
        (
            not count(bad, within=True) and not count(bad, within=False) and kept_serving,
            f"answers under the {fault.name} fault: in the window {served} REST answers 2xx or"
            f" expected 4xx, {count(('unavailable',), within=True)} refused with 503"
            f" `service_unavailable`, {count(('1013',), within=True)} sockets closed with 1013,"
            f" {count(bad, within=True)} other 5xx, 4xx or transport errors; outside it"
            f" {count(bad, within=False)} of those",
        ),
        (
            recovery is not None and recovery <= RECOVERY_LIMIT,
            f"recovery: the first 2xx that needed {fault.name}"
            + (" never came" if recovery is None else f" {recovery:.1f} s after its restart")
            + f" (at most {RECOVERY_LIMIT:g} s)",
        ),
    ]


def report(
    stages: list[Stage],
    checks: list[tuple[bool, str]],
    ledger: Ledger,
    verdict: bool,
    fault: Fault | None = None,
) -> str:
    route_header = ["route", *(f"{s.users} users: n · p50 / p95 / p99 ms" for s in stages)]
    stage_header = STAGE_HEADER
    if fault is not None:
        stage_header = [*STAGE_HEADER[:6], "503 / 1013 in the window", *STAGE_HEADER[6:]]
    lines = [
        *(fault_report(fault, stages) if fault is not None else []),
        markdown(stage_header, stage_rows(stages, fault=fault is not None)),
        "",
        markdown(route_header, route_rows(stages)),
        "",
    ]
    expected = expected_rows(stages)
    if expected:
        lines += [
            "Expected 4xx:",
            "",
            markdown(["route", "status", "code", "count", "why"], expected),
            "",
        ]
    problems = [p for s in stages for p in s.problems]
    if problems:
        lines += ["Failures (first ones):", "", *(f"- `{p}`" for p in problems[:20]), ""]
    unknown = ", ".join(f"{n} {kind}" for kind, n in sorted(ledger.unknown.items()))
    refused = "" if fault is None else ", or refused under the fault"
    lines += [
        f"Consistency check: **{'PASS' if verdict else 'FAIL'}**",
        "",
        *(f"- {'ok' if ok else 'FAILED'}: {text}" for ok, text in checks),
        *([f"- {fault.sweep}"] if fault is not None and fault.sweep else []),
        f"- writes without an answer (timeouts{refused}; neither acknowledged nor checked):"
        f" {unknown or 0}",
    ]
    return "\n".join(lines)


def served(source: str) -> str:
    if source == "worktree":
        return "the work tree as it was"
    git = ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]
    commit = subprocess.check_output(git, text=True, timeout=30).strip()  # noqa: S603
    return f"commit {commit}"


def record(text: str, args: argparse.Namespace, info: dict[str, str]) -> None:
    if args.fault is not None:
        write_section(fault_section(text, args, info))
        return
    stages = ", ".join(str(n) for n in args.stage_list)
    w = ACTIONS
    body = f"""{SECTION}

`bench/load.py` (`make load`): the production shape on loopback — gunicorn, 2 sync workers
(deploy/web.sh's flags, with a 30 s worker timeout) for the REST API, uvicorn, 2 workers
(deploy/ws.sh) for `/ws/`, a Celery worker with 2 processes on all its queues (deploy/worker.sh;
rule-based pre-checks), PostgreSQL and Redis — under a mix of what app users do, in stages of
{stages} virtual users, {args.seconds:g} s each. A user is one seeded account with one
active listing; between actions it pauses (exponential, mean {args.think:g} s). The mix, by
weight: the feed and a few of its next pages ({w["browse"]}), search by filters or text
({w["search"]}), a listing ({w["view"]}), favorite or unfavorite ({w["favorite"]}), open a
thread and write, half of the messages over the socket ({w["chat"]}), answer unread threads
and mark them read ({w["answer"]}), create a listing with a photo and submit it, archiving
one first when at the quota ({w["create"]}), the profile ({w["profile"]}), buy a boost
({w["boost"]}): the `test` provider's signed webhook is sent twice at once, sometimes a third
time under a new event id. At each stage's start one user in eight sends its free slots plus
three creates at once. The production throttles stay on, each user with an address of its
own (X-Forwarded-For through TRUSTED_PROXIES). Each REST request opens a connection, as
nginx does in front of gunicorn's sync workers. Latency runs from the request to the whole
answer; over the socket, from `message.send` to the sender's own `message.new`. CPU in
cores, from /proc; "other processes" is what the machine spent outside this test meanwhile.

Run it with `make load` (`LOAD_ARGS="--stages 8,32,64 --seconds 40 --think 0.5 --record"`;
`.venv/bin/python bench/load.py --help` for the rest). It needs PostgreSQL at 127.0.0.1:5432
(`BENCH_PG_*` as for `make bench`; it builds `marketplace_load_<N>_template` once and copies
`marketplace_load` from it) and Redis at `LOAD_BENCH_REDIS_URL` (default
`redis://127.0.0.1:6379/12`, emptied first); it listens on 127.0.0.1:8831 and 8832. It exits
1 on FAIL; the servers' logs are kept then, in a `load-logs-*` directory it names.

Run {info["date"]}, serving {served(args.source)}, on {info["cpus"]} CPUs ({info["cpu"]}),
{info["memory"]} RAM, PostgreSQL {info["postgresql"]}, Python {info["python"]};
{args.listings:,} generated listings besides the users'. The clients run in one Python process
(asyncio) on the same two cores as the servers, PostgreSQL and Redis: their CPU is in the
table, and the latencies include waiting for it.

{text}
"""
    write_section(body)


def fault_section(text: str, args: argparse.Namespace, info: dict[str, str]) -> str:
    """A section of its own for each kind of fault: a plain run's record leaves it alone."""
    name = "Redis" if args.fault == "redis" else "PostgreSQL"
    stage = args.stage_list[args.fault_stage - 1]
    if args.fault == "redis":
        how = (
            "a redis-server of the run's own on a free port (cache, channel layer and broker),"
            " terminated and started again on the same port, empty (`--save ''`)"
        )
        other = "PostgreSQL is the shared server's `marketplace_load`, as in a plain run"
    else:
        how = (
            "a PostgreSQL cluster of the run's own (initdb in a temporary directory; the"
            " template dumped into it with `pg_dump | psql`, analyzed and migrated), stopped"
            " with `pg_ctl -m fast` (sessions cut off, as in a restart) and started again"
        )
        other = "Redis is `LOAD_BENCH_REDIS_URL`, as in a plain run"
    needing = (
        "none the load sends: the REST API keeps serving without Redis, only OTP and login refuse"
        if args.fault == "redis"
        else "every one"
    )
    intro = (
        f'`bench/load.py --fault {args.fault}` (`make load LOAD_ARGS="--fault {args.fault}'
        f' --stages {args.stages} --seconds {args.seconds:g} --record"`): the load of "Load"'
        f" above — the same processes, mix and consistency check — with {how}; {other}. {name}"
        f" is stopped {args.fault_at:g} s into the {stage}-user stage for"
        f" {args.fault_seconds:g} s while the load goes on. Expected then, in the window from the"
        f" stop to {FAULT_GRACE:g} s after the restart: a 503 `service_unavailable` in the error"
        f" shape from a REST request that needs {name} ({needing}), a socket closed with 1013"
        " and, over the socket, the `service_unavailable` error event. The virtual users then do"
        " what the apps and a payment provider do: a refused write is sent again with the same"
        " client_id or webhook event (after 1, 2, 4 and 8 s, with jitter), a socket closed with"
        " 1013 reconnects with a backoff (1 s doubling to 8 s, with jitter) and catches up with"
        " `?after=`. FAIL on any other 5xx, a 503 outside the window or not in the error shape,"
        " a transport error, a process of the app that exits (it is started again, as"
        f" docker-compose's `restart:` would), or no 2xx needing {name} within"
        f" {RECOVERY_LIMIT:g} s of its restart. After the worker has drained, the listings still"
        " in review without a pre-check are made 10 minutes older and the sweep is sent to the"
        " worker, as beat would 5 minutes later; the pre-checks check comes after."
    )
    run = (
        f"Run {info['date']}, serving {served(args.source)}, on {info['cpus']} CPUs"
        f" ({info['cpu']}), PostgreSQL {info['postgresql']}; stages of"
        f" {', '.join(map(str, args.stage_list))} users, {args.seconds:g} s each,"
        f" {args.listings:,} generated listings."
    )
    paragraphs = (fill(intro), fill(run), text)
    return f"## Load under a fault: {name} restarted\n\n" + "\n\n".join(paragraphs) + "\n"


def fill(paragraph: str) -> str:
    return textwrap.fill(paragraph, width=95, break_long_words=False, break_on_hyphens=False)


def write_section(body: str) -> None:
    """Puts a section in docs/performance.md, replacing the one of the same heading."""
    heading = body.split("\n", 1)[0]
    current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else "# Performance\n"
    # This section to the next "## " heading (or the end) is replaced; the rest is kept.
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(current):
        updated = pattern.sub(lambda _match: body + "\n", current).rstrip() + "\n"
    else:
        updated = f"{current.rstrip()}\n\n{body}"
    DOC_PATH.write_text(updated, encoding="utf-8")
    log(f"recorded in {DOC_PATH.relative_to(ROOT)}")


# --- Main ----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else "",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "command", nargs="?", default="run", choices=("run", "seed"), help="seed: run's helper"
    )
    parser.add_argument("--stages", default="8,32,64", help="virtual users per stage")
    parser.add_argument("--seconds", type=float, default=40, help="length of each stage")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between actions, s")
    parser.add_argument("--listings", type=int, default=100_000, help="generated listings")
    parser.add_argument("--drain", type=float, default=60, help="seconds to wait for the worker")
    parser.add_argument(
        "--source",
        choices=("head", "worktree"),
        default="head",
        help="serve the last commit, or the work tree as it is",
    )
    parser.add_argument("--record", action="store_true", help="write docs/performance.md")
    parser.add_argument(
        "--fault",
        choices=("redis", "postgres"),
        help="stop and start a private server of this kind during one stage",
    )
    parser.add_argument(
        "--fault-stage", type=int, help="the stage of the fault, from 1 (default: the middle one)"
    )
    parser.add_argument("--fault-at", type=float, default=10, help="seconds into that stage")
    parser.add_argument("--fault-seconds", type=float, default=10, help="how long it is down")
    parser.add_argument("--users", type=int, help=argparse.SUPPRESS)  # seed
    parser.add_argument("--lifetime", type=int, help=argparse.SUPPRESS)  # seed
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)  # seed
    args = parser.parse_args()
    args.stage_list = [int(n) for n in args.stages.split(",") if n.strip()]
    if not args.stage_list or min(args.stage_list) < 2:
        parser.error("--stages: virtual users per stage, at least 2 each (8,32,64)")
    if args.listings < 1_000:
        parser.error("--listings must be at least 1000")
    if args.fault_stage is None:
        args.fault_stage = len(args.stage_list) // 2 + 1
    # The fault's options matter only with a fault: a plain short run is not refused for them.
    if args.fault is not None and not 1 <= args.fault_stage <= len(args.stage_list):
        parser.error(f"--fault-stage: a stage from 1 to {len(args.stage_list)}")
    bad_timing = args.fault_at < 0 or args.fault_seconds <= 0 or args.fault_at >= args.seconds
    if args.fault is not None and bad_timing:
        parser.error("--fault-at: within the stage; --fault-seconds: more than 0")
    return args


def stop_on_signals() -> None:
    """Ctrl-C or a kill: unwind, so the `finally`s stop every process started here (also when
    started in the background, where SIGINT comes ignored)."""

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def main() -> int:
    args = parse_args()
    if args.command == "seed":
        seed(args.users, args.lifetime, args.out)
        return 0
    stop_on_signals()
    started = time.monotonic()
    info = machine("the shared server")
    secret = secrets.token_urlsafe(48)
    logs = Path(tempfile.mkdtemp(prefix="load-logs-"))
    services: dict[str, Server] = {}
    fault: Fault | None = None
    # The private servers (--fault) are stopped and removed last, after the app's processes.
    with tempfile.TemporaryDirectory(prefix="load-") as scratch, contextlib.ExitStack() as owned:
        work = Path(scratch)
        feed_search.SOURCE = snapshot(args.source, work)
        try:
            redis_url = REDIS_URL
            if args.fault == "redis":
                redis_server = private_redis(owned)
                redis_url = redis_server.url
                fault = fault_of(args, redis_server.stop, redis_server.start)
            else:
                empty_redis()
            env = environment(work, secret, redis_url)
            if args.fault == "postgres":
                cluster = private_database(args.listings, env, owned)
                fault = fault_of(args, cluster.stop, cluster.start)
            else:
                prepare_database(args.listings, env)
            seeded = seed_users(args, env, work)
            services = start_services(env, work, logs)
            outcome = load(args, services, seeded, secret, fault, redis_url)
        finally:
            for service in services.values():
                service.stop()
            log(f"server logs: {logs}")
    stages, checks, ledger, verdict = outcome
    text = report(stages, checks, ledger, verdict, fault)
    sys.stdout.write(text + "\n")
    if args.record:
        record(text, args, info)
    if verdict:
        shutil.rmtree(logs, ignore_errors=True)  # kept when something failed
    log(f"done in {time.monotonic() - started:.0f} s: {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


# A Celery worker that loses Redis while it holds a task may exit: kombu 5.7.0, closing the
# lost connection, restores the unacknowledged messages through connection details it has
# already dropped, and Celery takes the AttributeError as unrecoverable. README, "Redis
# policy": the supervisor restarts it and the sweeps re-enqueue what it held.
KNOWN_WORKER_EXIT = "'NoneType' object has no attribute 'hostname'"


def restart_exited(services: dict[str, Server]) -> tuple[list[str], list[str]]:
    """The services that exited under the fault, each started again (its log kept aside), so
    that the drain and the sweep still run, as after a container's restart; those that
    exited for the known kombu bug apart from the rest."""
    exited: list[str] = []
    known: list[str] = []
    for name, service in services.items():
        if service.process is not None and service.process.poll() is None:
            continue
        log(f"{name} exited under the fault (its log: {name}-exited.log); starting it again")
        kept = service.log_path.with_name(f"{name}-exited.log")
        service.log_path.rename(kept)
        why = kept.read_text(errors="replace")
        (known if name == "worker" and KNOWN_WORKER_EXIT in why else exited).append(name)
        service.start()
    return exited, known


def fault_of(
    args: argparse.Namespace, stop: Callable[[], None], start: Callable[[], None]
) -> Fault:
    return Fault(args.fault, args.fault_stage - 1, args.fault_at, args.fault_seconds, stop, start)


def seed_users(args: argparse.Namespace, env: dict[str, str], work: Path) -> list[dict[str, str]]:
    users = max(args.stage_list)
    # Tokens outlive the run (the app would refresh them; that is not what this measures).
    lifetime = int(len(args.stage_list) * (args.seconds + STAGE_GRACE) + 1800)
    out = work / "users.json"
    log(f"seeding {users} users")
    script = str(feed_search.SOURCE / "bench" / "load.py")
    argv = [sys.executable, script, "seed", "--users", str(users), "--out", str(out)]
    argv += ["--lifetime", str(lifetime)]
    env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    run_checked(argv, env=env, timeout=600)
    return list(json.loads(out.read_text()))


def start_services(env: dict[str, str], work: Path, logs: Path) -> dict[str, Server]:
    """gunicorn (HTTP), uvicorn (/ws/) and the Celery worker, each with the flags of its
    deploy/ script (feed_search.server_argv gives the servers' common ones)."""
    web = Server("wsgi", service_env(env, work, "web"), work)
    web.env["GUNICORN_CMD_ARGS"] = (
        f"--config {feed_search.SOURCE / 'deploy' / 'gunicorn.conf.py'} --max-requests 10000"
        " --max-requests-jitter 1000 --worker-tmp-dir /dev/shm --no-control-socket"
    )
    ws = Server("asgi", service_env(env, work, "ws"), work)
    web.port, ws.port = WEB_PORT, WS_PORT
    services = {"web": web, "ws": ws, "worker": Worker(service_env(env, work, "worker"), work)}
    try:
        for name, service in services.items():
            service.log_path = logs / f"{name}.log"
            log(f"starting {name}")
            service.start()
    except BaseException:
        for service in services.values():
            service.stop()
        raise
    return services


def load(
    args: argparse.Namespace,
    services: dict[str, Server],
    seeded: list[dict[str, str]],
    secret: str,
    fault: Fault | None,
    redis_url: str,
) -> tuple[list[Stage], list[tuple[bool, str]], Ledger, bool]:
    ledger = Ledger()
    _status, body = http_get(f"http://127.0.0.1:{WEB_PORT}/api/v1/promotions/plans/")
    plan = min(json.loads(body), key=lambda p: int(p["days"]))
    world = World(ledger, [], plan, secret, args.think, photo(), fault)
    world.users = [VirtualUser(index, row, world) for index, row in enumerate(seeded)]
    with pg_connect(DB_NAME) as conn:
        drift_before = favorite_drift(conn)
    stages = asyncio.run(run_stages(world, services, args.stage_list, args.seconds, redis_url))
    exited, known_exits = restart_exited(services) if fault is not None else ([], [])
    drain(ledger, args.drain)
    if fault is not None:
        fault.sweep = sweep(ledger, redis_url, args.drain)
    checks = check(ledger, world.users, drift_before)
    if fault is not None:
        checks += fault_checks(fault)
        checks.append(
            (
                not exited,
                f"processes: {', '.join(exited) or 'none'} (of {', '.join(services)}) exited"
                " under the fault"
                + (
                    " (started again for the sweep, as docker-compose's `restart:` would)"
                    if exited
                    else ""
                ),
            )
        )
        if known_exits:
            checks.append(
                (
                    True,
                    "known: the worker exited on kombu 5.7.0's AttributeError closing the lost"
                    " connection (README, Redis policy); restarted, its tasks left to the sweep",
                )
            )
    counts = {kind: sum(s.count(kind) for s in stages) for kind in ("5xx", "unexpected", "error")}
    total = sum(sum(s.outcomes.values()) for s in stages)
    checks.append(
        (
            not any(counts.values()),
            f"answers: of {total} requests, 5xx {counts['5xx']}, unexpected 4xx"
            f" {counts['unexpected']}, transport errors {counts['error']}",
        )
    )
    return stages, checks, ledger, all(ok for ok, _text in checks)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted; the servers are stopped")
        sys.exit(130)
