"""Shared fixtures of the accounts tests: API clients, SMS codes, logged-in users.

Rate-limit counters (`accounts.ratelimit`, keys `rl:*`) live in the same Redis database as the
cache, which the root conftest flushes before each test; `_clear_rate_limits` deletes them
explicitly too, so a test never depends on how the cache happens to be cleared.
"""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.conf import LazySettings
from rest_framework.test import APIClient

from accounts import hooks, sms
from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from marketplace.celery import app
from tests.helpers import bearer

PHONE = "+996700123456"
OTHER_PHONE = "+996700654321"
CONSENT = {"offer_agreement": True, "personal_data_processing": True}
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")

OTP_REQUEST = "/api/v1/auth/otp/request/"
OTP_VERIFY = "/api/v1/auth/otp/verify/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
LOGOUT_ALL = "/api/v1/auth/logout-all/"
ME = "/api/v1/me/"
AVATAR = "/api/v1/me/avatar/"
CONSENTS = "/api/v1/me/consents/"
PHONE_CHANGE = "/api/v1/me/phone/"
PHONE_VERIFY = "/api/v1/me/phone/verify/"
DEVICES = "/api/v1/me/devices/"


def code_in(text: str) -> str:
    """The 6-digit code an SMS carries."""
    found = CODE.search(text)
    assert found, text
    return found.group(1)


def last_code(phone: str) -> str:
    """The code of the latest SMS sent to `phone`."""
    texts = [message.text for message in sms.outbox if message.phone == phone]
    assert texts, f"no SMS to {phone}"
    return code_in(texts[-1])


def delete_resend_key(phone: str, settings: LazySettings) -> None:
    """Skip the 60-second resend wait, as if a minute had passed."""
    redis.Redis.from_url(str(settings.REDIS_URL)).delete(f"rl:otp:resend:{phone}")


@pytest.fixture(autouse=True)
def _clear_rate_limits(settings: LazySettings) -> None:
    client = redis.Redis.from_url(str(settings.REDIS_URL))
    keys = list(client.scan_iter("rl:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def outbox() -> Iterator[list[sms.SmsMessage]]:
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def request_code(
    django_capture_on_commit_callbacks: Any,
) -> Callable[..., Any]:
    """POST an OTP request and run its after-commit work (the SMS task) as a commit would."""

    def send(
        phone: str = PHONE,
        *,
        client: APIClient | None = None,
        path: str = OTP_REQUEST,
        **extra: Any,
    ) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return (client or APIClient()).post(path, {"phone": phone}, format="json", **extra)

    return send


@pytest.fixture
def verify(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    def post(
        phone: str = PHONE,
        code: str = "",
        consent: dict[str, Any] | None = None,
        *,
        client: APIClient | None = None,
        **extra: Any,
    ) -> Any:
        body: dict[str, Any] = {"phone": phone, "code": code}
        if consent is not None:
            body["consent"] = consent
        with django_capture_on_commit_callbacks(execute=True):
            return (client or APIClient()).post(OTP_VERIFY, body, format="json", **extra)

    return post


@pytest.fixture
def login(request_code: Callable[..., Any], verify: Callable[..., Any]) -> Callable[..., Any]:
    """Log in through the API (request a code, read it from the SMS, verify): the 200 body."""

    def run(phone: str = PHONE, consent: dict[str, Any] | None = CONSENT) -> dict[str, Any]:
        assert request_code(phone).status_code == 202
        response = verify(phone, last_code(phone), consent)
        assert response.status_code == 200, response.content
        return response.json()

    return run


@pytest.fixture
def user() -> User:
    return UserFactory()


@pytest.fixture
def tokens(user: User) -> dict[str, str]:
    return issue_tokens(user)


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    """An API client holding a fresh access token of `user`."""

    def make(user: User) -> APIClient:
        return bearer(issue_tokens(user)["access"])

    return make


@pytest.fixture
def me_client(tokens: dict[str, str]) -> APIClient:
    return bearer(tokens["access"])


@pytest.fixture
def eager_retries() -> Iterator[None]:
    # With eager propagation on (the test settings), Celery raises its Retry signal out of
    # `apply()`; off, `apply()` runs the retries inline (no countdown) and returns the outcome.
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.fixture
def restore_hooks() -> Iterator[None]:
    """Let a test register hooks (deletion guards, cleanups, quota, businesses); put the
    registries back afterwards."""
    saved = {
        name: list(getattr(hooks, name))
        for name in ("_deletion_guards", "_deletion_cleanups", "_listing_quota", "_businesses")
    }
    yield
    for name, functions in saved.items():
        getattr(hooks, name)[:] = functions
