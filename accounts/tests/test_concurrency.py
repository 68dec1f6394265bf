"""Races on PostgreSQL: real threads released together, each with its own connection."""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import LazySettings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import sms
from accounts.models import AuditEntry, PhoneCode, User
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens

from .conftest import (
    CONSENT,
    LOGOUT,
    OTP_REQUEST,
    OTP_VERIFY,
    PHONE,
    PHONE_CHANGE,
    PHONE_VERIFY,
    REFRESH,
    bearer,
    delete_resend_key,
    last_code,
)
from .test_tokens import legacy_tokens

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 4


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released at once by a barrier; return their results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    assert not errors, errors
    return results


def test_of_concurrent_verifications_of_one_code_exactly_one_logs_in(
    request_code: Callable[..., Any],
) -> None:
    request_code(PHONE)
    body = {"phone": PHONE, "code": last_code(PHONE), "consent": CONSENT}

    def verify() -> int:
        return APIClient().post(OTP_VERIFY, body, format="json").status_code

    statuses = race(*[verify] * RACERS)

    assert sorted(statuses) == [200] + [400] * (RACERS - 1)
    assert User.objects.filter(phone=PHONE).count() == 1
    assert PhoneCode.objects.get().used_at is not None


def test_of_concurrent_refreshes_with_one_token_one_rotates_and_its_login_ends() -> None:
    """The others present a token already rotated: a reuse, which ends the whole login."""
    user = UserFactory()
    refresh_token = issue_tokens(user)["refresh"]
    other_device = issue_tokens(user)

    def refresh() -> tuple[int, dict[str, Any]]:
        response = APIClient().post(REFRESH, {"refresh": refresh_token}, format="json")
        return response.status_code, response.json()

    results = race(*[refresh] * RACERS)

    statuses = sorted(status for status, _body in results)
    assert statuses == [200] + [401] * (RACERS - 1)
    assert {body["error"]["code"] for status, body in results if status == 401} == {
        "token_not_valid"
    }
    (winner,) = [body for status, body in results if status == 200]
    assert bearer(winner["access"]).get("/api/v1/me/").status_code == 401
    again = APIClient().post(REFRESH, {"refresh": winner["refresh"]}, format="json")
    assert again.status_code == 401
    assert AuditEntry.objects.filter(action="user.session_revoked").count() == 1
    assert bearer(other_device["access"]).get("/api/v1/me/").status_code == 200


def test_of_concurrent_refreshes_with_a_token_from_before_sessions_one_moves_and_it_ends() -> None:
    user = UserFactory()
    refresh_token = str(legacy_tokens(user)["refresh"])

    def refresh() -> tuple[int, dict[str, Any]]:
        response = APIClient().post(REFRESH, {"refresh": refresh_token}, format="json")
        return response.status_code, response.json()

    results = race(*[refresh] * RACERS)

    assert sorted(status for status, _body in results) == [200] + [401] * (RACERS - 1)
    (winner,) = [body for status, body in results if status == 200]
    again = APIClient().post(REFRESH, {"refresh": winner["refresh"]}, format="json")
    assert again.status_code == 401
    assert AuditEntry.objects.filter(action="user.session_revoked").count() == 1


def test_a_logout_and_refreshes_at_once_end_the_login_without_a_server_error() -> None:
    user = UserFactory()
    tokens = issue_tokens(user)

    def refresh() -> int:
        return APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code

    def logout() -> int:
        client = bearer(tokens["access"])
        return client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code

    results = race(logout, logout, *[refresh] * RACERS)

    assert results[:2] == [204, 204]
    assert set(results[2:]) <= {200, 401}
    assert (
        APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    )
    assert bearer(tokens["access"]).get("/api/v1/me/").status_code == 401


def test_of_concurrent_code_requests_for_one_phone_one_code_is_sent(
    outbox: list[sms.SmsMessage],
) -> None:
    def ask() -> int:
        return APIClient().post(OTP_REQUEST, {"phone": PHONE}, format="json").status_code

    statuses = race(*[ask] * RACERS)

    assert sorted(statuses) == [202] + [429] * (RACERS - 1)
    assert len(outbox) == 1
    assert PhoneCode.objects.count() == 1


def test_the_database_counters_hold_under_concurrency_too(
    outbox: list[sms.SmsMessage], settings: LazySettings
) -> None:
    settings.REDIS_URL = None

    def ask() -> int:
        return APIClient().post(OTP_REQUEST, {"phone": PHONE}, format="json").status_code

    statuses = race(*[ask] * RACERS)

    assert sorted(statuses) == [202] + [429] * (RACERS - 1)
    assert len(outbox) == 1


def test_two_users_racing_for_one_new_phone_only_one_gets_it(
    request_code: Callable[..., Any], settings: LazySettings
) -> None:
    new_phone = "+996555987654"
    alice, bob = UserFactory(), UserFactory()
    alice_client, bob_client = (
        bearer(issue_tokens(alice)["access"]),
        bearer(issue_tokens(bob)["access"]),
    )
    request_code(new_phone, client=alice_client, path=PHONE_CHANGE)
    alice_code = last_code(new_phone)
    delete_resend_key(new_phone, settings)
    request_code(new_phone, client=bob_client, path=PHONE_CHANGE)
    bob_code = last_code(new_phone)
    # Bob's request superseded Alice's code (see test_profile_api); revive it for the race.
    PhoneCode.objects.update(expires_at=timezone.now() + timedelta(minutes=5))

    def claim(client: APIClient, code: str) -> Callable[[], tuple[int, str]]:
        def post() -> tuple[int, str]:
            response = client.post(PHONE_VERIFY, {"phone": new_phone, "code": code}, format="json")
            body = response.json()
            return response.status_code, body.get("error", {}).get("code", "")

        return post

    results = race(claim(alice_client, alice_code), claim(bob_client, bob_code))

    assert sorted(results) == [(200, ""), (409, "phone_taken")]
    assert User.objects.filter(phone=new_phone).count() == 1
