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
import time
import urllib.parse
import uuid
import zlib
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    from listings.demo import demo_image
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
        started = time.perf_counter()
        try:
            status, payload = await asyncio.wait_for(
                http(method, path, sent, body), REQUEST_TIMEOUT
            )
        except (OSError, TimeoutError, ValueError, IndexError, zlib.error) as exc:
            self.stage.note(route, "error", f"{type(exc).__name__} {exc}"[:200])
            return None
        self.stage.latencies[route].append((time.perf_counter() - started) * 1000)
        answer = Answer(status, payload, ok=status in ok)
        self.classify(route, answer)
        return answer

    def classify(self, route: str, answer: Answer) -> None:
        if answer.ok:
            self.stage.outcomes[route, "ok"] += 1
            return
        code = answer.code
        if answer.status == 429 or EXPECTED.get(route, {}).get(answer.status) == code:
            self.stage.outcomes[route, "expected"] += 1
            self.stage.expected[route, answer.status, code] += 1
        else:
            kind = "5xx" if answer.status >= 500 else "unexpected"
            self.stage.note(route, kind, f"{answer.status} {answer.body[:200]!r}")

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
        if answer is None:  # either way, maybe: nothing to expect of this pair any more
            self.ledger.unknown["favorite"] += 1
            self.ledger.favorites.pop((self.id, listing), None)
        elif answer.ok:
            self.ledger.favorites[self.id, listing] = adding
            (self.favorites.add if adding else self.favorites.discard)(listing)

    async def chat(self) -> None:
        """As a buyer: open the thread about a listing and write."""
        others = [u.listing for u in self.world.users if u is not self]
        if self.rng.random() < 0.6 or not self.seen:
            listing = self.rng.choice(others)  # another user's: he may answer
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
            "GET /api/v1/chat/threads/{id}/messages/ ?after=",
            "GET",
            f"/api/v1/chat/threads/{thread['id']}/messages/?after={after}",
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
        if self.socket is not None and self.rng.random() < 0.5:
            message = await self.send_over_socket(thread, body, client_id)
        else:
            answer = await self.call(
                "POST /api/v1/chat/threads/{id}/messages/",
                "POST",
                f"/api/v1/chat/threads/{thread}/messages/",
                data={"body": body, "client_id": client_id},
                ok=(200, 201),
            )
            if answer is None:
                self.ledger.unknown["message"] += 1
            message = answer.json() if answer and answer.ok else None
        if message is not None:
            self.ledger.messages[str(message["id"])] = (thread, client_id, self.id)
            self.ledger.threads.add(thread)

    async def send_over_socket(
        self, thread: str, body: str, client_id: str
    ) -> dict[str, Any] | None:
        route = "WS message.send → own message.new"
        waiter = asyncio.get_running_loop().create_future()
        self.waiting[client_id] = waiter
        frame = {"type": "message.send", "thread_id": thread, "body": body, "client_id": client_id}
        started = time.perf_counter()
        try:
            await self.socket.send(json.dumps(frame))
            event = await asyncio.wait_for(waiter, ACK_TIMEOUT)
        except Exception as exc:  # a closed socket or no acknowledgement in time
            self.waiting.pop(client_id, None)
            self.ledger.unknown["message"] += 1
            self.stage.note(route, "error", f"{type(exc).__name__} {exc}"[:200])
            return None
        self.stage.latencies[route].append((time.perf_counter() - started) * 1000)
        if event["type"] == "message.new":
            self.stage.outcomes[route, "ok"] += 1
            return dict(event["message"])
        code = str(event.get("code", ""))
        if code == "throttled":
            self.stage.outcomes[route, "expected"] += 1
            self.stage.expected[route, 429, code] += 1
        else:
            self.stage.note(route, "5xx" if code == "server_error" else "unexpected", str(event))
        return None

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
            if submitted is None:
                self.ledger.unknown["submit"] += 1
                self.ledger.listings[listing] = (self.id, "")  # stored, in either status
            elif submitted.ok:
                self.ledger.listings[listing] = (self.id, "pending_review")

    async def create_one(self) -> str | None:
        make, model = CARS[self.rng.randrange(len(CARS))]
        data = {**car_listing(self.rng.randrange(1000), make, model), "client_id": uuid.uuid4().hex}
        answer = await self.call(
            "POST /api/v1/listings/", "POST", "/api/v1/listings/", data=data, ok=(201,)
        )
        if answer is None:
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
        if answer is None:
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
        return await self.call(
            "POST /api/v1/payments/webhook/{provider}/",
            "POST",
            "/api/v1/payments/webhook/test/",
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
        started = time.perf_counter()
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
            return
        self.stage.latencies[route].append((time.perf_counter() - started) * 1000)
        self.stage.outcomes[route, "ok"] += 1
        for task in self.tasks:
            task.cancel()
        self.tasks = [asyncio.create_task(self.listen()), asyncio.create_task(self.ping())]

    async def listen(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.socket:
                event = json.loads(raw)
                if event.get("type") == "message.new":
                    client_id = event["message"].get("client_id")
                else:
                    client_id = event.get("client_id")
                waiter = self.waiting.pop(client_id, None) if client_id else None
                if waiter is not None and not waiter.done():
                    waiter.set_result(event)
        if self.socket is not None:  # not closed by disconnect(): the app will reconnect
            code = getattr(self.socket, "close_code", None)
            self.stage.note("WS /ws/chat/ (open socket)", "error", f"closed by the server: {code}")
            self.socket = None
        for waiter in self.waiting.values():
            if not waiter.done():
                waiter.set_exception(ConnectionError("the socket closed"))
        self.waiting.clear()

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
                if self.socket is None:
                    await self.connect()
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


def environment(work: Path, secret: str) -> dict[str, str]:
    env = server_env(work)
    # The production throttles stay: every user has an address of his own (X-Forwarded-For
    # through TRUSTED_PROXIES, as behind nginx) and his own token.
    env.pop("THROTTLE_ANON_RATE")
    env.pop("THROTTLE_USER_RATE")
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
            "DATABASE_URL": pg_url(DB_NAME),
            "REDIS_URL": REDIS_URL,
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


def prepare_database(listings: int, env: dict[str, str]) -> None:
    """`marketplace_load` from a template built once by the feed benchmark's loader."""
    template = f"{DB_NAME}_{listings}_template"
    fingerprint = migrations_fingerprint()
    copy = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
    with pg_connect("postgres", autocommit=True) as admin:
        current = database_comment(admin, template)
        if current != fingerprint:
            log(f"building {template} ({'absent' if current is None else 'out of date'})")
            build_template(template, listings, fingerprint, env)
        drop_database(admin, DB_NAME)
        admin.execute(copy.format(sql.Identifier(DB_NAME), sql.Identifier(template)))
    log(f"{DB_NAME} copied from {template}")


def empty_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()


def cpu_sample(services: dict[str, Server]) -> dict[str, dict[int, int]]:
    """Clock ticks by process, for each part of the system."""
    table = proc_table()
    port = urllib.parse.urlsplit(REDIS_URL).port or 6379
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
    world: World, services: dict[str, Server], stages: Sequence[int], seconds: float
) -> list[Stage]:
    results = []
    for count in stages:
        stage = Stage(users=count, seconds=seconds)
        log(f"stage: {count} users for {seconds:g} s")
        loop = asyncio.get_running_loop()
        before, started = cpu_sample(services), loop.time()
        deadline = started + seconds
        tasks = [
            asyncio.create_task(user.run(stage, deadline, blitz=user.index % 8 == 0))
            for user in world.users[:count]
        ]
        _done, late = await asyncio.wait(tasks, timeout=seconds + STAGE_GRACE)
        for task in late:
            task.cancel()
            stage.note("(stage)", "error", "a user's action outlived the stage's grace period")
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                stage.note("(client)", "error", repr(task.exception())[:200])
        stage.elapsed = loop.time() - started
        after = cpu_sample(services)
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


def stage_rows(stages: list[Stage]) -> list[list[str]]:
    rows = []
    for s in stages:
        total = sum(s.outcomes.values())
        cpu = " / ".join(
            f"{s.cpu.get(k, 0):.2f}"
            for k in ("web", "ws", "worker", "PostgreSQL", "Redis", "clients", "other")
        )
        rows.append(
            [
                str(s.users),
                f"{s.elapsed:.0f}",
                str(total),
                f"{total / s.elapsed:.1f}",
                str(s.count("ok")),
                str(s.count("expected")),
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


def report(
    stages: list[Stage], checks: list[tuple[bool, str]], ledger: Ledger, verdict: bool
) -> str:
    route_header = ["route", *(f"{s.users} users: n · p50 / p95 / p99 ms" for s in stages)]
    lines = [
        markdown(STAGE_HEADER, stage_rows(stages)),
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
    lines += [
        f"Consistency check: **{'PASS' if verdict else 'FAIL'}**",
        "",
        *(f"- {'ok' if ok else 'FAILED'}: {text}" for ok, text in checks),
        f"- writes without an answer (timeouts; neither acknowledged nor checked): {unknown or 0}",
    ]
    return "\n".join(lines)


def served(source: str) -> str:
    if source == "worktree":
        return "the work tree as it was"
    git = ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]
    commit = subprocess.check_output(git, text=True, timeout=30).strip()  # noqa: S603
    return f"commit {commit}"


def record(text: str, args: argparse.Namespace, info: dict[str, str]) -> None:
    stages = ", ".join(str(n) for n in args.stage_list)
    w = ACTIONS
    body = f"""{SECTION}

`bench/load.py` (`make load`): the production shape on loopback — gunicorn, 2 sync workers
(deploy/web.sh's flags, with a 30 s worker timeout) for the REST API, uvicorn, 2 workers
(deploy/ws.sh) for `/ws/`, a Celery worker with 2 processes (deploy/worker.sh; rule-based
pre-checks), PostgreSQL and Redis — under a mix of what app users do, in stages of
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
    current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else "# Performance\n"
    # This section to the next "## " heading (or the end) is replaced; the rest is kept.
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
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
    parser.add_argument("--users", type=int, help=argparse.SUPPRESS)  # seed
    parser.add_argument("--lifetime", type=int, help=argparse.SUPPRESS)  # seed
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)  # seed
    args = parser.parse_args()
    args.stage_list = [int(n) for n in args.stages.split(",") if n.strip()]
    if not args.stage_list or min(args.stage_list) < 2:
        parser.error("--stages: virtual users per stage, at least 2 each (8,32,64)")
    if args.listings < 1_000:
        parser.error("--listings must be at least 1000")
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
    info = machine()
    empty_redis()
    secret = secrets.token_urlsafe(48)
    logs = Path(tempfile.mkdtemp(prefix="load-logs-"))
    services: dict[str, Server] = {}
    with tempfile.TemporaryDirectory(prefix="load-") as scratch:
        work = Path(scratch)
        feed_search.SOURCE = snapshot(args.source, work)
        env = environment(work, secret)
        try:
            prepare_database(args.listings, env)
            seeded = seed_users(args, env, work)
            services = start_services(env, work, logs)
            outcome = load(args, services, seeded, secret)
        finally:
            for service in services.values():
                service.stop()
            log(f"server logs: {logs}")
    stages, checks, ledger, verdict = outcome
    text = report(stages, checks, ledger, verdict)
    sys.stdout.write(text + "\n")
    if args.record:
        record(text, args, info)
    if verdict:
        shutil.rmtree(logs, ignore_errors=True)  # kept when something failed
    log(f"done in {time.monotonic() - started:.0f} s: {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


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
) -> tuple[list[Stage], list[tuple[bool, str]], Ledger, bool]:
    ledger = Ledger()
    _status, body = http_get(f"http://127.0.0.1:{WEB_PORT}/api/v1/promotions/plans/")
    plan = min(json.loads(body), key=lambda p: int(p["days"]))
    world = World(ledger, [], plan, secret, args.think, photo())
    world.users = [VirtualUser(index, row, world) for index, row in enumerate(seeded)]
    with pg_connect(DB_NAME) as conn:
        drift_before = favorite_drift(conn)
    stages = asyncio.run(run_stages(world, services, args.stage_list, args.seconds))
    drain(ledger, args.drain)
    checks = check(ledger, world.users, drift_before)
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
