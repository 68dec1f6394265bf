"""Operations endpoints (/healthz, /readyz, /metrics), who may read the metrics, and the headers
every response carries."""

import ipaddress
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler, OperationalError
from django.test import Client, RequestFactory
from prometheus_client.parser import text_string_to_metric_families

from core.client_ip import client_ip, is_loopback
from marketplace.api import views
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def sample_value(text: str, sample_name: str, labels: dict[str, str]) -> float | None:
    """The value of one sample in Prometheus text exposition, or None when it is absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == sample_name and sample.labels == labels:
                return float(sample.value)
    return None


# --- Health and readiness ---------------------------------------------------------------------


def test_healthz_answers_ok(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_checks_the_database_and_redis(client: Client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_names_an_unreachable_redis(client: Client, settings: Any) -> None:
    settings.REDIS_URL = UNREACHABLE_REDIS

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unavailable"},
        "failed": ["redis"],
    }


def test_readyz_without_redis_configured_checks_only_the_database(
    client: Client, settings: Any
) -> None:
    settings.REDIS_URL = None

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_names_an_unreachable_database(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No mock of the check itself: the view's `connections` is swapped for a real connection
    # handler whose default database is the test database on a port nothing listens on, so
    # `_check_database` really fails to connect (psycopg's OperationalError, as Django wraps it).
    dead = {
        **settings.DATABASES["default"],
        "PORT": "1",
        "OPTIONS": {"connect_timeout": 2},  # no pool: fail on the first attempt
    }
    handler = ConnectionHandler({"default": dead})
    monkeypatch.setattr(views, "connections", handler)
    with pytest.raises(OperationalError):
        views._check_database()

    try:
        response = client.get("/readyz")
    finally:
        handler.close_all()

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "redis": "ok"},
        "failed": ["database"],
    }


@pytest.fixture
def dependencies_down(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The database check is monkeypatched to raise (the test above fails it for real).
    def broken() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "_check_database", broken)
    settings.REDIS_URL = UNREACHABLE_REDIS


@pytest.mark.usefixtures("dependencies_down")
def test_readyz_names_every_failed_check(client: Client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["database", "redis"]


@pytest.mark.usefixtures("dependencies_down")
def test_healthz_stays_ok_when_the_dependencies_are_down(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# --- Metrics ----------------------------------------------------------------------------------

HEALTHZ_ANSWERED = (
    "marketplace_http_requests_total",
    {"route": "healthz", "method": "GET", "status": "200"},
)


def test_metrics_from_loopback_are_prometheus_text_that_counts_requests(client: Client) -> None:
    assert client.get("/healthz").status_code == 200
    before = client.get("/metrics")
    assert before.status_code == 200
    assert before["Content-Type"].startswith("text/plain")
    count_before = sample_value(before.content.decode(), *HEALTHZ_ANSWERED)
    assert count_before is not None
    assert count_before >= 1

    assert client.get("/healthz").status_code == 200
    after = client.get("/metrics").content.decode()

    assert sample_value(after, *HEALTHZ_ANSWERED) == count_before + 1
    # Each request is timed too, under the same route; the path never becomes a label.
    timed = sample_value(
        after, "marketplace_http_request_duration_seconds_count", {"route": "healthz"}
    )
    assert timed is not None
    assert timed >= 2


def test_request_metrics_label_routes_not_paths(client: Client) -> None:
    ids = [uuid.uuid4() for _ in range(2)]
    for listing_id in ids:
        assert client.get(f"/api/v1/listings/{listing_id}/").status_code == 404
    client.generic("BREW", "/healthz")

    text = client.get("/metrics").content.decode()

    answered = [line for line in text.splitlines() if line.startswith("marketplace_http_requests")]
    listing_lines = [line for line in answered if "listings/(?P<pk>" in line]
    assert any('status="404"' in line for line in listing_lines)
    assert not any(str(listing_id) in text for listing_id in ids)
    # A made-up method is one label value, whatever the caller sends.
    assert any('route="healthz"' in line and 'method="other"' in line for line in answered)
    assert "BREW" not in text


def test_metrics_from_ipv6_loopback_are_allowed(client: Client) -> None:
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_metrics_from_elsewhere_are_refused(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")

    assert_error(response, 403, "permission_denied")
    assert "marketplace_http" not in response.content.decode()


def test_metrics_from_elsewhere_with_no_token_configured_refuse_any_bearer(
    client: Client, settings: Any
) -> None:
    settings.METRICS_TOKEN = None

    response = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer anything"
    )

    assert_error(response, 403, "permission_denied")


def test_metrics_from_elsewhere_with_the_token(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-token"

    response = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-token"
    )

    assert response.status_code == 200
    assert "marketplace_http_requests_total" in response.content.decode()


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-token", "Bearer s3cret-token-and-more", "Basic s3cret-token", "s3cret-token"],
    ids=["wrong", "longer", "basic-scheme", "no-scheme"],
)
def test_metrics_with_a_wrong_token_are_refused(
    client: Client, settings: Any, authorization: str
) -> None:
    settings.METRICS_TOKEN = "s3cret-token"

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=authorization)

    assert_error(response, 403, "permission_denied")


def test_a_spoofed_forwarded_for_from_an_untrusted_address_is_ignored(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert_error(response, 403, "permission_denied")


def test_a_trusted_proxy_forwarding_for_a_remote_client_is_refused(
    client: Client, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]

    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert_error(response, 403, "permission_denied")


def test_a_trusted_proxy_forwarding_for_loopback_is_allowed(client: Client, settings: Any) -> None:
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]

    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 200


def test_a_client_cannot_prepend_loopback_through_a_trusted_proxy(
    client: Client, settings: Any
) -> None:
    # The proxy appends the address it saw; whatever the client wrote before it is not believed.
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]

    response = client.get(
        "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="127.0.0.1, 198.51.100.7"
    )

    assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "expected"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        ("203.0.113.9", "127.0.0.1", "203.0.113.9"),
        ("10.1.2.3", None, "10.1.2.3"),
        ("10.1.2.3", "198.51.100.7", "198.51.100.7"),
        ("10.1.2.3", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        ("10.1.2.3", "1.2.3.4,198.51.100.7 ,", "198.51.100.7"),
        ("10.1.2.3", "1.2.3.4, 198.51.100.7, 10.9.9.9", "198.51.100.7"),
        ("10.1.2.3", "10.0.0.5, 10.9.9.9", "10.0.0.5"),
        ("10.1.2.3", "1.2.3.4, not-an-ip", "not-an-ip"),
        ("10.1.2.3", "", "10.1.2.3"),
        ("", "127.0.0.1", ""),
    ],
    ids=[
        "untrusted-alone",
        "untrusted-spoofing",
        "proxy-without-header",
        "proxy-one-hop",
        "leftmost-ignored",
        "odd-spacing",
        "two-trusted-proxies",
        "all-hops-trusted",
        "garbage-hop-stops-the-walk",
        "empty-header",
        "no-remote-addr",
    ],
)
def test_client_ip_walks_forwarded_for_through_trusted_proxies(
    settings: Any, remote_addr: str, forwarded_for: str | None, expected: str
) -> None:
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = RequestFactory().get("/metrics", **extra)

    assert client_ip(request) == expected


def test_client_ip_believes_no_header_without_trusted_proxies(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get(
        "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="127.0.0.1"
    )

    assert client_ip(request) == "10.1.2.3"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("10.1.2.3", False),
        ("203.0.113.9", False),
        ("", False),
        ("localhost", False),
        ("127.0.0.1:8000", False),
    ],
)
def test_is_loopback(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


# Run in fresh interpreters: prometheus_client picks its multiprocess value class when it is first
# imported, so PROMETHEUS_MULTIPROC_DIR must be in the environment before Django (and
# django-prometheus's middleware counters) are imported — true here, it is in the child's env.
_WORKER_SCRIPT = """
import sys

import django

django.setup()
from django.test import Client

client = Client()
if sys.argv[1] == "hit":
    for _ in range(int(sys.argv[2])):
        assert client.get("/healthz").status_code == 200
else:
    response = client.get("/metrics")
    assert response.status_code == 200, response.status_code
    sys.stdout.write(response.content.decode())
"""


def _run_worker(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", _WORKER_SCRIPT, *args],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    return completed.stdout


def test_multiprocess_metrics_aggregate_every_worker(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
    }

    _run_worker(env, "hit", "3")
    _run_worker(env, "hit", "4")
    text = _run_worker(env, "scrape")

    # Each process left its own files; the scraping process merged them.
    assert len(list(tmp_path.glob("counter_*.db"))) == 3
    answered = sample_value(
        text,
        "marketplace_http_requests_total",
        {"route": "healthz", "method": "GET", "status": "200"},
    )
    assert answered == 7.0
    timed = sample_value(
        text, "marketplace_http_request_duration_seconds_count", {"route": "healthz"}
    )
    assert timed == 7.0


# --- Headers on every response ----------------------------------------------------------------


def test_api_responses_carry_the_security_headers(client: Client) -> None:
    response = client.get("/api/v1/anything/")

    assert response.status_code == 404
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_request_id_is_made_when_none_is_sent(client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


@pytest.mark.parametrize("incoming", ["abc-123", "A.b_C-9", "x" * 64])
def test_a_sane_request_id_is_echoed(client: Client, incoming: str) -> None:
    response = client.get("/api/v1/anything/", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["x" * 65, "x" * 200, "abc 123", "abc\t123", "<script>", "abc-123\n", "ид-запроса"],
    ids=["65-chars", "200-chars", "space", "tab", "markup", "trailing-newline", "non-ascii"],
)
def test_an_insane_request_id_is_replaced(client: Client, incoming: str) -> None:
    response = client.get("/api/v1/anything/", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_cors_allows_a_configured_origin(client: Client, settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.kg"]

    response = client.get("/api/v1/anything/", HTTP_ORIGIN="https://app.example.kg")

    assert response["Access-Control-Allow-Origin"] == "https://app.example.kg"
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert "x-request-id" in exposed


def test_cors_ignores_other_origins(client: Client, settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.kg"]

    response = client.get("/api/v1/anything/", HTTP_ORIGIN="https://evil.example.com")

    assert "Access-Control-Allow-Origin" not in response


def test_cors_preflight_for_a_configured_origin(client: Client, settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.kg"]

    response = client.options(
        "/api/v1/anything/",
        HTTP_ORIGIN="https://app.example.kg",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example.kg"
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed


def test_cors_headers_stay_off_paths_outside_the_api(client: Client, settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.kg"]

    response = client.get("/healthz", HTTP_ORIGIN="https://app.example.kg")

    assert "Access-Control-Allow-Origin" not in response
