"""The Redis policy: ordinary throttles fail open, so the REST API keeps serving without Redis."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.helpers import run_concurrently

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings: Any) -> None:
    # The throttles count in REDIS_URL's Redis; the cache is the same server.
    settings.REDIS_URL = DEAD_REDIS
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }


@pytest.mark.usefixtures("redis_down")
def test_the_api_keeps_serving_when_the_throttle_store_is_down(caplog: Any) -> None:
    response = APIClient().get("/api/v1/legal/documents/")

    assert response.status_code == 200
    assert "Throttle store unavailable" in caplog.text


def test_throttles_still_count_when_the_store_is_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.throttling import AnonRateThrottle

    # The rates are read into the class at import; patch them there (and only for this test).
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "3/min"})

    statuses = [APIClient().get("/api/v1/legal/documents/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_anonymous_callers_are_held_by_the_anonymous_rate_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.throttling import AnonRateThrottle, UserRateThrottle

    rates = {"anon": "3/min", "user": "1/min"}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)

    statuses = [APIClient().get("/api/v1/legal/documents/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_cannot_pass_the_rate_together(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "5/min", "user": "5/min"})

    statuses = run_concurrently(
        12, lambda _index: APIClient().get("/api/v1/legal/documents/").status_code
    )

    # Each request is one atomic count: a store read and written back whole let two
    # requests that read it together both pass.
    assert sorted(statuses) == [200] * 5 + [429] * 7
