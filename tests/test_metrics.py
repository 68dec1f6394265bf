"""The figures on /metrics that issue 10 asks for, each moved by the event it counts: listings
created and by status, active users, Celery tasks, the database pool. (Moderation, promotions,
businesses and chat test their own in their apps.)"""

import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from core import metrics as marketplace_metrics
from listings.models import Listing, Status
from listings.tests.conftest import CAR, HORSE, client_for
from marketplace import celery_metrics
from marketplace.celery import app
from tests.test_operations import REPO_ROOT, UNREACHABLE_REDIS, sample_value

pytestmark = pytest.mark.django_db


@app.task(name="tests.metrics_succeed")
def succeed() -> str:
    return "ok"


@app.task(name="tests.metrics_fail")
def fail() -> None:
    raise RuntimeError("boom")


def scrape(client: Client) -> str:
    # The listings gauge's 15 s cache; not cache.clear(), which would flush Redis' active users.
    cache.delete("metrics:listings-by-status")
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.content.decode()


def value(text: str, name: str, **labels: str) -> float:
    found = sample_value(text, name, labels)
    return 0.0 if found is None else found


@pytest.fixture(autouse=True)
def _forget_reported_users() -> Iterator[None]:
    # Redis is flushed between tests (cache.clear()); this process's memory of whom it
    # already reported this hour must go with it.
    marketplace_metrics._reported.clear()
    marketplace_metrics._local_hours.clear()
    yield
    marketplace_metrics._reported.clear()
    marketplace_metrics._local_hours.clear()


# --- Listings ---------------------------------------------------------------------------------


def test_listings_created_counts_each_new_draft_by_category(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    before = scrape(client)
    author = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        for body in (CAR, CAR, HORSE):
            assert client_for(author).post("/api/v1/listings/", body).status_code == 201
    after = scrape(client)

    created = "marketplace_listings_created_total"
    assert value(after, created, category="car") == value(before, created, category="car") + 2
    assert value(after, created, category="horse") == value(before, created, category="horse") + 1
    assert value(after, created, category="real_estate") == value(
        before, created, category="real_estate"
    )


def test_a_rolled_back_create_counts_nothing(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    before = scrape(client)

    # The sixth personal listing is refused inside the transaction.
    author = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            client_for(author).post("/api/v1/listings/", CAR)
    after = scrape(client)

    created = "marketplace_listings_created_total"
    assert value(after, created, category="car") == value(before, created, category="car") + 5


def test_listings_by_status_follow_the_database(client: Client) -> None:
    author = UserFactory()
    for _ in range(2):
        client_for(author).post("/api/v1/listings/", CAR)

    text = scrape(client)
    assert value(text, "marketplace_listings", status="draft") == 2
    assert value(text, "marketplace_listings", status="active") == 0

    Listing.objects.filter(pk=Listing.objects.first().pk).update(status=Status.ACTIVE)  # type: ignore[union-attr]
    text = scrape(client)
    assert value(text, "marketplace_listings", status="draft") == 1
    assert value(text, "marketplace_listings", status="active") == 1


def test_listings_by_status_are_cached_between_scrapes(client: Client) -> None:
    scrape(client)
    client_for(UserFactory()).post("/api/v1/listings/", CAR)

    # No cache.clear(): the figures of the first scrape are served for 15 s.
    text = client.get("/metrics").content.decode()
    assert value(text, "marketplace_listings", status="draft") == 0


# --- Active users -----------------------------------------------------------------------------


def bearer(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)['access']}")
    return client


def test_active_users_count_distinct_authenticated_users(client: Client) -> None:
    first, second = UserFactory(), UserFactory()
    assert value(scrape(client), "marketplace_active_users") == 0

    for _ in range(3):
        assert bearer(first).get("/api/v1/me/").status_code == 200
    assert bearer(second).get("/api/v1/me/").status_code == 200
    APIClient().get("/api/v1/listings/")  # anonymous: not counted

    assert value(scrape(client), "marketplace_active_users") == 2


def test_an_active_user_costs_no_database_write(client: Client) -> None:
    api = bearer(UserFactory())

    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/me/").status_code == 200

    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert writes == []
    assert value(scrape(client), "marketplace_active_users") == 1


def test_active_users_are_reported_to_redis_once_an_hour_per_process(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = UserFactory()
    calls = []
    real = marketplace_metrics._redis

    def counting(url: str) -> Any:
        calls.append(url)
        return real(url)

    monkeypatch.setattr(marketplace_metrics, "_redis", counting)
    for _ in range(3):
        bearer(user).get("/api/v1/me/")

    assert len(calls) == 1


def test_active_users_fail_open_when_redis_is_down(client: Client, settings: Any) -> None:
    settings.REDIS_URL = UNREACHABLE_REDIS
    user = UserFactory()

    response = bearer(user).get("/api/v1/me/")

    assert response.status_code == 200
    # The gauge is left out rather than failing the scrape.
    text = client.get("/metrics").content.decode()
    assert "marketplace_active_users" not in text
    assert "marketplace_http_requests_total" in text


def test_without_redis_active_users_are_counted_in_the_process(
    client: Client, settings: Any
) -> None:
    settings.REDIS_URL = None
    first, second = UserFactory(), UserFactory()

    for user in (first, second, first):
        marketplace_metrics.record_active_user(user.pk)

    assert value(scrape(client), "marketplace_active_users") == 2


def test_active_users_keys_expire_after_a_day() -> None:
    from django.conf import settings

    marketplace_metrics.record_active_user("someone")

    store = redis.Redis.from_url(str(settings.REDIS_URL))
    keys = store.keys("metrics:active-users:*")
    assert len(keys) == 1
    assert 24 * 3600 < store.ttl(keys[0]) <= 25 * 3600


# --- Celery -----------------------------------------------------------------------------------


def test_celery_tasks_are_counted_by_name_and_state(client: Client) -> None:
    before = scrape(client)

    succeed.delay()
    succeed.delay()
    # As a worker runs it: the error is recorded, not raised (tests propagate eager errors).
    fail.apply(throw=False)
    after = scrape(client)

    tasks = "marketplace_celery_tasks_total"
    for name, state, more in [
        ("tests.metrics_succeed", "success", 2),
        ("tests.metrics_fail", "failure", 1),
    ]:
        assert value(after, tasks, task=name, state=state) == (
            value(before, tasks, task=name, state=state) + more
        )
    duration = "marketplace_celery_task_duration_seconds_count"
    assert value(after, duration, task="tests.metrics_succeed") == (
        value(before, duration, task="tests.metrics_succeed") + 2
    )
    assert value(after, duration, task="tests.metrics_fail") == (
        value(before, duration, task="tests.metrics_fail") + 1
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_worker_serves_its_metrics_on_the_configured_port(settings: Any) -> None:
    settings.WORKER_METRICS_PORT = free_port()
    started: list[Any] = []
    real = celery_metrics.prometheus_client.start_http_server

    def start(port: int, **kwargs: Any) -> Any:
        started.append(real(port, addr="127.0.0.1", **kwargs))
        return started[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(celery_metrics.prometheus_client, "start_http_server", start)
        celery_metrics._serve_worker_metrics()
    try:
        succeed.delay()
        url = f"http://127.0.0.1:{settings.WORKER_METRICS_PORT}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
    finally:
        server, thread = started[0]
        server.shutdown()
        thread.join(5)

    tasks = "marketplace_celery_tasks_total"
    assert value(text, tasks, task="tests.metrics_succeed", state="success") >= 1


def test_without_a_port_the_worker_serves_nothing(settings: Any, monkeypatch: Any) -> None:
    settings.WORKER_METRICS_PORT = None
    monkeypatch.setattr(
        celery_metrics.prometheus_client,
        "start_http_server",
        lambda *a, **k: pytest.fail("started"),
    )

    celery_metrics._serve_worker_metrics()


def run_in_process(script: str, *args: str, metrics_dir: Path, **env: str) -> str:
    """`script` run by a fresh Python with the test settings and multiprocess metrics in
    `metrics_dir`, as a worker process of its own would; its standard output."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        env={
            **os.environ,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
            **env,
        },
        cwd=REPO_ROOT,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout


_TASK_SCRIPT = """
import sys

import django

django.setup()
from marketplace.celery import app
from core.metrics import metrics_registry
import prometheus_client


@app.task(name="tests.child_task")
def child_task():
    return "ok"


if sys.argv[1] == "run":
    child_task.delay()
else:
    sys.stdout.write(prometheus_client.generate_latest(metrics_registry()).decode())
"""


def test_task_metrics_of_worker_children_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    # A prefork worker runs tasks in child processes; its main process serves their files.
    def run(*args: str) -> str:
        return run_in_process(_TASK_SCRIPT, *args, metrics_dir=tmp_path)

    run("run")
    run("run")
    text = run("scrape")

    labels = {"task": "tests.child_task", "state": "success"}
    assert sample_value(text, "marketplace_celery_tasks_total", labels) == 2


# --- Database pool ----------------------------------------------------------------------------


def test_database_pool_gauges_show_the_pool_after_a_request(client: Client) -> None:
    marketplace_metrics.pool_size.set(0)
    assert client.get("/api/v1/listings/").status_code == 200  # reads the database

    text = client.get("/metrics").content.decode()

    assert value(text, "marketplace_db_pool_size") >= 1
    assert value(text, "marketplace_db_pool_available") >= 0
    assert value(text, "marketplace_db_pool_requests_waiting") == 0


# --- Database queries -------------------------------------------------------------------------

QUERY_COUNT = "marketplace_db_query_duration_seconds_count"


def test_a_request_that_reads_the_database_is_timed(client: Client) -> None:
    before = scrape(client)

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/listings/").status_code == 200
    # Read before the next request, which empties the log the context reads.
    selects = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    after = scrape(client)

    assert selects
    labels = {"alias": "default", "statement": "select"}
    assert value(after, QUERY_COUNT, **labels) >= value(before, QUERY_COUNT, **labels) + len(
        selects
    )
    # The buckets start at half a millisecond, where many statements end.
    assert (
        sample_value(
            after, "marketplace_db_query_duration_seconds_bucket", {**labels, "le": "0.0005"}
        )
        is not None
    )


def test_each_statement_is_timed_once_under_its_kind(client: Client) -> None:
    before = scrape(client)

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("  update listings_listing SET title = title WHERE false")
        cursor.execute("DELETE FROM listings_listing WHERE false")
        cursor.execute("SAVEPOINT timed")
        cursor.execute("RELEASE SAVEPOINT timed")
    after = scrape(client)

    def more(statement: str) -> float:
        labels = {"alias": "default", "statement": statement}
        return value(after, QUERY_COUNT, **labels) - value(before, QUERY_COUNT, **labels)

    # The scrape's own gauges only read, so every kind but select moves by exactly ours.
    assert more("select") >= 1
    assert (more("update"), more("delete"), more("insert"), more("other")) == (1, 1, 0, 2)


_QUERY_SCRIPT = """
import sys

import django

django.setup()
from django.db import connection
from core.metrics import metrics_registry
import prometheus_client

if sys.argv[1] == "query":
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
else:
    sys.stdout.write(prometheus_client.generate_latest(metrics_registry()).decode())
"""


def test_query_durations_of_worker_processes_add_up_in_multiprocess_mode(
    tmp_path: Path,
) -> None:
    # gunicorn's workers each time their own statements; /metrics sums their files.
    database = connection.settings_dict
    # The test database, which exists whatever DATABASE_URL names.
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}"
    )

    def run(*args: str) -> str:
        return run_in_process(_QUERY_SCRIPT, *args, metrics_dir=tmp_path, DATABASE_URL=url)

    run("query")
    run("query")
    text = run("scrape")

    # Each process's own `SELECT 1`, and any the backend ran before it.
    labels = {"alias": "default", "statement": "select"}
    assert (sample_value(text, QUERY_COUNT, labels) or 0) >= 2
    assert sample_value(text, QUERY_COUNT, {"alias": "default", "statement": "other"}) is None
