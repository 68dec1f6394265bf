"""Faults, as the outage policy in docs/operations.md promises them: Redis and PostgreSQL
stopped and started under a running server (uvicorn on the production settings) and a Celery
worker.

The servers stopped here are private ones (a PostgreSQL cluster in a temporary directory, a
redis-server on a free port), so the rest of the suite, which shares the machine's servers,
is not disturbed. Everything is bounded in time and torn down even when a test fails.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from celery import Celery
from PIL import Image
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from listings.tests.conftest import CAR
from tests.servers import PrivatePostgres, PrivateRedis, free_port, wait_until

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
POOL_TIMEOUT = 2  # DATABASE_POOL_TIMEOUT of the server: how long a request may wait


class App:
    """The server, its worker and the environment they share."""

    def __init__(self, pg: PrivatePostgres, redis: PrivateRedis, root: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("PYTEST")},
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
            "DATABASE_URL": pg.url,
            "REDIS_URL": redis.url,
            "DATABASE_POOL_TIMEOUT": str(POOL_TIMEOUT),
            "DEBUG": "false",
            "SECRET_KEY": "fault-tests-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            "JWT_SIGNING_KEY": "fault-tests-jwt-signing-key-0123456789abcdef",
            "METRICS_TOKEN": "fault-tests-metrics",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "MEDIA_ROOT": str(root / "media"),
            "LOG_FORMAT": "json",
            "PAYMENT_PROVIDERS": "",
        }
        self.log = root / "server.log"
        self.processes: list[subprocess.Popen[bytes]] = []

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.stdout

    def spawn(self, *command: str) -> None:
        with self.log.open("ab") as log:
            self.processes.append(
                subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
            )

    def serve(self) -> None:
        self.spawn(
            str(VENV_BIN / "uvicorn"),
            "marketplace.asgi:application",
            *("--host", "127.0.0.1", "--port", str(self.port)),
            *("--no-access-log", "--lifespan", "off"),
        )
        wait_until(lambda: self.status("/healthz") == 200, 30, "the server")

    def work(self) -> None:
        self.spawn(
            str(VENV_BIN / "celery"),
            *("-A", "marketplace", "worker", "--pool", "solo", "--loglevel", "WARNING"),
            *("--queues", "critical,default,media"),
            *("--without-heartbeat", "--without-gossip", "--without-mingle"),
        )

    def status(self, path: str) -> int | None:
        try:
            return requests.get(self.base + path, timeout=5).status_code
        except requests.RequestException:
            return None

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def server_log(self) -> str:
        return self.log.read_text(errors="replace")


SETUP = f"""
import json
from django.utils import timezone
from accounts.models import User
from accounts.tokens import issue_tokens
from listings.models import Listing
from listings.serializers import ListingCreateSerializer
from listings.services.listings import listing_create
out = {{}}
for name, phone in (("seller", "+996700900001"), ("buyer", "+996700900002")):
    user, _ = User.objects.get_or_create(phone=phone, defaults={{"display_name": name}})
    out[name] = issue_tokens(user)["access"]
# A published listing of the seller's, for the buyer to write about.
serializer = ListingCreateSerializer(data=json.loads({json.dumps(json.dumps(CAR))}))
serializer.is_valid(raise_exception=True)
seller = User.objects.get(phone="+996700900001")
listing, _ = listing_create(author=seller, data=dict(serializer.validated_data))
Listing.objects.filter(pk=listing.pk).update(status="active", published_at=timezone.now())
out["active_listing"] = str(listing.pk)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[App, PrivatePostgres, PrivateRedis, dict[str, str]]]:
    root = Path(tempfile.mkdtemp(prefix="marketplace-faults-"))
    pg = PrivatePostgres(root)
    redis = PrivateRedis()
    app = App(pg, redis, root)
    try:
        pg.init()
        redis.start()
        app.run("migrate", "--noinput", "-v0")
        tokens = json.loads(app.run("shell", "-c", SETUP).strip().splitlines()[-1])
        app.serve()
        yield app, pg, redis, tokens
    finally:
        app.stop()
        redis.stop()
        pg.discard()
        shutil.rmtree(root, ignore_errors=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def socket_outcome(app: App, token: str) -> int | str:
    """The close code of a fresh socket within 5 s, or `open` when it stays open and pongs."""
    url = f"ws://127.0.0.1:{app.port}/ws/chat/"
    with ws_connect(url, subprotocols=["bearer", token], open_timeout=5) as ws:
        try:
            ws.send(json.dumps({"type": "ping"}))
            answer = json.loads(ws.recv(timeout=5))
        except ConnectionClosed:
            return ws.close_code if ws.close_code is not None else "closed"
        return "open" if answer == {"type": "pong"} else str(answer)


def assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0


def redis_down_checks(app: App, tokens: dict[str, str], listing_id: str, thread_id: str) -> None:
    seller = bearer(tokens["seller"])
    # Chat over REST keeps working (its send limit is not counted while Redis is down).
    sent = requests.post(
        f"{app.base}/api/v1/chat/threads/{thread_id}/messages/",
        json={"body": "Ещё продаёте?", "client_id": "during-outage"},
        headers=bearer(tokens["buyer"]),
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    # A new socket is accepted and closed with 1013, not dropped or answered 500.
    assert socket_outcome(app, tokens["buyer"]) == 1013
    assert requests.get(f"{app.base}/api/v1/listings/feed/", timeout=10).status_code == 200
    assert requests.get(f"{app.base}/api/v1/me/", headers=seller, timeout=10).status_code == 200
    otp = requests.post(
        f"{app.base}/api/v1/auth/otp/request/", json={"phone": "+996700900003"}, timeout=10
    )
    assert (otp.status_code, otp.json()["error"]["code"]) == (503, "service_unavailable")
    # The listing enters review; its pre-check cannot be enqueued and is only logged.
    submitted = requests.post(
        f"{app.base}/api/v1/listings/{listing_id}/submit/", headers=seller, timeout=10
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "pending_review"


def test_an_idle_socket_stays_open(
    stack: tuple[App, PrivatePostgres, PrivateRedis, dict[str, str]],
) -> None:
    app, _pg, _redis, tokens = stack
    url = f"ws://127.0.0.1:{app.port}/ws/chat/"
    with ws_connect(url, subprotocols=["bearer", tokens["buyer"]]) as idle:
        # Well past the 5 s a server worker blocks reading its queue in Redis, twice over:
        # with a read timeout of 5 s too, the second or a later read is the one cut off.
        time.sleep(12)
        idle.send(json.dumps({"type": "ping"}))

        assert json.loads(idle.recv(timeout=5)) == {"type": "pong"}


def test_with_redis_down_the_api_serves_otp_refuses_sockets_close_and_sweeps_recover(
    stack: tuple[App, PrivatePostgres, PrivateRedis, dict[str, str]],
) -> None:
    app, pg, redis, tokens = stack
    seller = bearer(tokens["seller"])
    listing = requests.post(f"{app.base}/api/v1/listings/", json=CAR, headers=seller, timeout=10)
    assert listing.status_code == 201, listing.text
    listing_id = listing.json()["id"]
    upload = requests.post(
        f"{app.base}/api/v1/listings/{listing_id}/media/",
        data={"kind": "image"},
        files={"file": ("photo.jpg", jpeg(), "image/jpeg")},
        headers=seller,
        timeout=10,
    )
    assert upload.status_code == 201, upload.text
    thread = requests.post(
        f"{app.base}/api/v1/chat/threads/",
        json={"listing_id": tokens["active_listing"]},
        headers=bearer(tokens["buyer"]),
        timeout=10,
    )
    assert thread.status_code == 201, thread.text
    assert socket_outcome(app, tokens["buyer"]) == "open"
    url = f"ws://127.0.0.1:{app.port}/ws/chat/"
    with ws_connect(url, subprotocols=["bearer", tokens["buyer"]]) as open_socket:
        redis.stop()
        try:
            # An open socket is closed with 1013 (try again later) once its layer is gone.
            with pytest.raises(ConnectionClosed):
                open_socket.recv(timeout=5)
            assert open_socket.close_code == 1013
            redis_down_checks(app, tokens, listing_id, thread.json()["id"])
        finally:
            redis.start()
    assert "its sweep will retry" in app.server_log()

    # Minutes pass (the sweep leaves fresh listings to their own task), then beat's sweep
    # runs on a worker and the lost pre-check is done.
    pg.rows(
        "UPDATE listings_listing SET review_requested_at = review_requested_at - "
        "interval '10 minutes' WHERE id = %s RETURNING id",
        listing_id,
    )
    app.work()
    # To the queue beat's sweeps go to (CELERY_TASK_ROUTES): a bare app knows no routes. Not
    # made current, so the project's shared tasks keep resolving to the project's app.
    Celery(broker=redis.url, set_as_current=False).send_task(
        "moderation.requeue_missing_prechecks", queue="default"
    )
    prechecks = (
        "SELECT count(*) FROM moderation_moderationevent WHERE listing_id = %s AND kind = %s"
    )
    wait_until(
        lambda: pg.rows(prechecks, listing_id, "ai_precheck")[0][0] == 1,
        60,
        "the sweep to run the lost pre-check",
    )
    # Back at once: sockets, and the security limits (a login code can be requested again).
    assert socket_outcome(app, tokens["buyer"]) == "open"
    otp = requests.post(
        f"{app.base}/api/v1/auth/otp/request/", json={"phone": "+996700900003"}, timeout=10
    )
    assert otp.status_code == 202, otp.text
    assert "Exception in ASGI application" not in app.server_log()


def test_a_postgres_restart_answers_503_in_the_error_shape_and_the_app_recovers(
    stack: tuple[App, PrivatePostgres, PrivateRedis, dict[str, str]],
) -> None:
    app, pg, _redis, tokens = stack
    buyer = bearer(tokens["buyer"])
    log_start = len(app.server_log())
    answers: list[tuple[int, Any]] = []
    stop = threading.Event()

    def browse() -> None:
        # A client that keeps browsing through the restart: each answer is kept.
        while not stop.is_set():
            try:
                response = requests.get(f"{app.base}/api/v1/me/", headers=buyer, timeout=15)
            except requests.RequestException as exc:
                answers.append((0, repr(exc)))
                continue
            answers.append((response.status_code, response.text))

    browser = threading.Thread(target=browse)
    browser.start()
    try:
        wait_until(lambda: len(answers) > 3, 10, "requests before the restart")
        pg.stop()
        try:
            started = time.monotonic()
            feed = requests.get(f"{app.base}/api/v1/listings/feed/", timeout=15)
            # Bounded by the pool's timeout (before the fuse, a request took over a minute).
            assert time.monotonic() - started < POOL_TIMEOUT + 5
            assert_unavailable(feed)
            assert_unavailable(requests.get(f"{app.base}/api/v1/me/", headers=buyer, timeout=15))
            assert app.status("/healthz") == 200
            assert app.status("/readyz") == 503
            assert socket_outcome(app, tokens["buyer"]) == 1013
        finally:
            pg.start()
        # Recovered without a restart: the pool replaces the connections the restart broke.
        wait_until(lambda: app.status("/api/v1/listings/feed/") == 200, 15, "recovery")
        assert app.status("/readyz") == 200
        assert socket_outcome(app, tokens["buyer"]) == "open"
        wait_until(lambda: answers[-1][0] == 200, 15, "the browsing client to be served again")
    finally:
        stop.set()
        browser.join(timeout=30)

    statuses = {status for status, _ in answers}
    assert statuses <= {200, 503}, [answer for answer in answers if answer[0] not in (200, 503)]
    assert 503 in statuses
    for status, body in answers:
        if status == 503:
            assert json.loads(body)["error"]["code"] == "service_unavailable"
    log = app.server_log()[log_start:]
    assert "Internal Server Error" not in log
    assert "Exception in ASGI application" not in log
