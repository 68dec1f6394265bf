"""Logging in by SMS code: POST /auth/otp/request/ and /auth/otp/verify/."""

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.conf import LazySettings
from django.utils import timezone

from accounts import sms
from accounts.models import AuditEntry, Consent, PhoneCode, User
from accounts.services import user_ban
from accounts.tests.factories import UserFactory
from tests.helpers import assert_error

from .conftest import (
    CONSENT,
    OTHER_PHONE,
    PHONE,
    bearer,
    code_in,
    delete_resend_key,
    last_code,
)

pytestmark = pytest.mark.django_db

PROFILE_FIELDS = {
    "id",
    "phone",
    "display_name",
    "avatar_url",
    "role",
    "city",
    "language",
    "created_at",
    "consent_required",
    "listing_quota",
    "businesses",
}


def wrong(code: str) -> str:
    """A 6-digit code that is surely not `code`."""
    return f"{(int(code) + 1) % 10**6:06d}"


# --- Requesting a code -----------------------------------------------------------------------


@pytest.mark.parametrize("written", ["+996 700 123 456", "996700123456", "0700 123 456"])
def test_a_code_is_sent_for_every_accepted_way_of_writing_the_phone(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage], written: str
) -> None:
    response = request_code(written)

    assert response.status_code == 202
    assert response.json() == {"expires_in": 300, "resend_in": 60}
    assert [message.phone for message in outbox] == [PHONE]
    assert PhoneCode.objects.get().phone == PHONE


@pytest.mark.parametrize(
    "phone",
    [
        "0312 123 456",
        "+7 701 123 4567",
        "hello",
        "",
        "+996 700 123 45",
        "+996700123456" + "0" * 30,
        None,
        True,
        996700123456,
        ["+996700123456"],
        {"number": "+996700123456"},
    ],
    ids=[
        "landline",
        "kazakh",
        "garbage",
        "empty",
        "short",
        "overlong",
        "null",
        "bool",
        "int",
        "list",
        "object",
    ],
)
def test_anything_but_a_kyrgyz_mobile_is_invalid_phone_and_nothing_is_sent(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage], phone: Any
) -> None:
    response = request_code(phone)

    assert_error(response, 400, "invalid_phone")
    assert outbox == []
    assert not PhoneCode.objects.exists()


def test_a_missing_phone_is_a_validation_error(api: Any, outbox: list[sms.SmsMessage]) -> None:
    response = api.post("/api/v1/auth/otp/request/", {}, format="json")

    error = assert_error(response, 400, "invalid")
    assert "phone" in error["fields"]
    assert outbox == []


def test_a_second_request_within_the_resend_interval_is_throttled(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage]
) -> None:
    assert request_code(PHONE).status_code == 202

    response = request_code("0700 123 456")

    assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert len(outbox) == 1
    assert PhoneCode.objects.count() == 1


def test_the_sms_is_sent_only_after_the_commit(
    django_capture_on_commit_callbacks: Any, api: Any, outbox: list[sms.SmsMessage]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post("/api/v1/auth/otp/request/", {"phone": PHONE}, format="json")

    assert response.status_code == 202
    assert outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [message.phone for message in outbox] == [PHONE]


def test_the_answer_is_the_same_whether_or_not_the_phone_has_an_account(
    request_code: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    UserFactory(phone=PHONE)

    with_account = request_code(PHONE)
    without_account = request_code(OTHER_PHONE)
    wrong_with = verify(PHONE, "000000")
    wrong_without = verify(OTHER_PHONE, "000000")

    def shape(response: Any) -> tuple[int, bytes, dict[str, str]]:
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.lower() not in ("date", "x-request-id")
        }
        return response.status_code, response.content, headers

    assert shape(with_account) == shape(without_account)
    assert with_account.status_code == 202
    # A wrong code does not tell either (unless the code happens to be 000000: 1 in 10**6).
    assert shape(wrong_with) == shape(wrong_without)


def test_the_code_is_not_stored_in_clear_text(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage]
) -> None:
    request_code(PHONE)
    code = code_in(outbox[0].text)

    (row,) = PhoneCode.objects.values()
    for column, value in row.items():
        if column == "phone":
            assert value == PHONE
        else:
            assert code not in str(value), column
    # Nor as an unkeyed hash that a million guesses would reverse.
    plain_hashes = {
        hashlib.new(name, text.encode()).hexdigest()
        for name in ("md5", "sha1", "sha256")
        for text in (code, f"login:{PHONE}:{code}", f"{PHONE}{code}")
    }
    assert row["code_hash"] not in plain_hashes


def test_the_sms_is_in_the_language_of_the_request(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage]
) -> None:
    languages = {"+996700000001": "ru", "+996700000002": "ky", "+996700000003": "en"}
    for phone, language in languages.items():
        request_code(phone, HTTP_ACCEPT_LANGUAGE=language)
    request_code("+996700000004")  # no Accept-Language

    def wording(message: sms.SmsMessage) -> str:
        return message.text.replace(code_in(message.text), "######")

    texts = {languages.get(message.phone, "default"): wording(message) for message in outbox}
    assert texts["default"] == texts["ru"]
    assert any("а" <= char <= "я" for char in texts["ru"].lower())
    assert any("а" <= char <= "я" or char in "өүң" for char in texts["ky"].lower())
    assert texts["ky"] != texts["ru"]
    assert texts["en"].isascii()


@pytest.mark.parametrize("language", ["ru", "ky", "en"])
def test_the_sms_carries_the_code_and_fits_one_segment(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage], language: str
) -> None:
    request_code(PHONE, HTTP_ACCEPT_LANGUAGE=language)

    (message,) = outbox
    assert len(code_in(message.text)) == 6
    # 70 characters is one UCS-2 (Cyrillic) segment; GSM-7 text has 160.
    assert len(message.text) <= (160 if message.text.isascii() else 70)


def test_a_web_process_knows_the_sms_task_without_a_worker() -> None:
    # A fresh interpreter, where nothing but Django's own start-up has imported anything:
    # enqueue_on_commit looks the task up by name, and autodiscovery runs only in a worker.
    script = (
        "import django; django.setup()\n"
        "from marketplace.celery import app\n"
        "assert 'accounts.send_sms' in app.tasks, sorted(app.tasks)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings.test"}

    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr[-2000:]


# --- Verifying it ----------------------------------------------------------------------------


def test_a_new_user_without_consent_is_told_to_consent_and_the_code_survives(
    request_code: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    request_code(PHONE)
    code = last_code(PHONE)

    refused = verify(PHONE, code)
    half = verify(PHONE, code, {"offer_agreement": True, "personal_data_processing": False})

    assert_error(refused, 400, "consent_required")
    assert_error(half, 400, "consent_required")
    assert not User.objects.filter(phone=PHONE).exists()
    stored = PhoneCode.objects.get()
    assert (stored.attempts, stored.used_at) == (0, None)
    # The refusals did not count as tries: a wrong try now leaves all but one.
    miss = assert_error(verify(PHONE, wrong(code), CONSENT), 400, "invalid_code")
    assert miss["attempts_left"] == 4
    assert verify(PHONE, code, CONSENT).status_code == 200


def test_a_new_user_logs_in_with_consent_and_gets_tokens_and_a_profile(
    request_code: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    request_code(PHONE)

    response = verify(
        "0700 123 456",
        last_code(PHONE),
        {**CONSENT, "marketing_communications": False},
        HTTP_USER_AGENT="360-app/1.0 (iOS)",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {"access", "refresh", "is_new_user", "user"}
    assert body["is_new_user"] is True
    assert set(body["user"]) >= PROFILE_FIELDS
    user = User.objects.get(phone=PHONE)
    assert body["user"]["id"] == str(user.pk)
    assert body["user"]["phone"] == PHONE
    assert body["user"]["role"] == "user"
    assert body["user"]["consent_required"] is False
    decisions = {c.kind: c for c in Consent.objects.filter(user=user)}
    assert {kind: c.accepted for kind, c in decisions.items()} == {
        "offer_agreement": True,
        "personal_data_processing": True,
        "marketing_communications": False,
    }
    assert {c.user_agent for c in decisions.values()} == {"360-app/1.0 (iOS)"}
    assert {c.ip_address for c in decisions.values()} == {"127.0.0.1"}
    assert AuditEntry.objects.filter(action="user.registered", target_id=str(user.pk)).exists()
    assert bearer(body["access"]).get("/api/v1/me/").json()["id"] == str(user.pk)


def test_a_returning_user_needs_no_consent_and_is_not_new(
    login: Callable[..., Any],
    request_code: Callable[..., Any],
    verify: Callable[..., Any],
    settings: LazySettings,
) -> None:
    first = login(PHONE)
    delete_resend_key(PHONE, settings)
    request_code(PHONE)

    response = verify(PHONE, last_code(PHONE))

    assert response.status_code == 200, response.content
    assert response.json()["is_new_user"] is False
    assert response.json()["user"]["id"] == first["user"]["id"]
    assert User.objects.count() == 1


def test_wrong_codes_count_down_and_the_sixth_try_is_refused_even_when_right(
    request_code: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    request_code(PHONE)
    code = last_code(PHONE)

    left = [
        assert_error(verify(PHONE, wrong(code), CONSENT), 400, "invalid_code")["attempts_left"]
        for _ in range(5)
    ]
    sixth = verify(PHONE, code, CONSENT)

    assert left == [4, 3, 2, 1, 0]
    assert_error(sixth, 429, "too_many_attempts")
    assert not User.objects.filter(phone=PHONE).exists()


def test_a_new_code_works_after_one_was_burned(
    request_code: Callable[..., Any], verify: Callable[..., Any], settings: LazySettings
) -> None:
    request_code(PHONE)
    burned = last_code(PHONE)
    for _ in range(5):
        verify(PHONE, wrong(burned), CONSENT)
    assert_error(verify(PHONE, wrong(burned), CONSENT), 429, "too_many_attempts")
    delete_resend_key(PHONE, settings)

    request_code(PHONE)

    assert verify(PHONE, last_code(PHONE), CONSENT).status_code == 200


def test_an_expired_code_is_refused(
    request_code: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    request_code(PHONE)
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = verify(PHONE, last_code(PHONE), CONSENT)

    assert_error(response, 400, "code_expired")
    assert not User.objects.filter(phone=PHONE).exists()


def test_the_code_lives_five_minutes(
    request_code: Callable[..., Any],
) -> None:
    before = timezone.now()
    request_code(PHONE)

    stored = PhoneCode.objects.get()
    assert timedelta(seconds=299) <= stored.expires_at - before <= timedelta(seconds=301)


def test_a_used_code_cannot_be_used_again(
    request_code: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    request_code(PHONE)
    code = last_code(PHONE)
    assert verify(PHONE, code, CONSENT).status_code == 200

    again = verify(PHONE, code, CONSENT)

    assert_error(again, 400, "invalid_code")


def test_a_new_request_supersedes_the_previous_code(
    request_code: Callable[..., Any], verify: Callable[..., Any], settings: LazySettings
) -> None:
    request_code(PHONE)
    old = last_code(PHONE)
    delete_resend_key(PHONE, settings)
    request_code(PHONE)
    new = last_code(PHONE)
    if new == old:
        pytest.skip("both codes drew the same number (1 in 10**6)")

    assert_error(verify(PHONE, old, CONSENT), 400, "invalid_code")
    assert verify(PHONE, new, CONSENT).status_code == 200


def test_a_code_for_another_phone_does_not_work(
    request_code: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    request_code(PHONE)

    response = verify(OTHER_PHONE, last_code(PHONE), CONSENT)

    assert_error(response, 400, "invalid_code")


def test_a_banned_user_cannot_log_in_even_with_the_right_code(
    request_code: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    user_ban(user=UserFactory(phone=PHONE), actor=None)
    assert request_code(PHONE).status_code == 202

    response = verify(PHONE, last_code(PHONE), CONSENT, HTTP_ACCEPT_LANGUAGE="en")

    assert assert_error(response, 403, "permission_denied")["message"] == (
        "This account is disabled."
    )
    assert "refresh" not in response.json()


def test_verifying_with_no_code_requested_is_invalid_code(verify: Callable[..., Any]) -> None:
    response = verify(PHONE, "123456", CONSENT)

    assert assert_error(response, 400, "invalid_code")["attempts_left"] == 0


def test_verifying_an_invalid_phone_is_invalid_phone(verify: Callable[..., Any]) -> None:
    assert_error(verify("0312 123 456", "123456", CONSENT), 400, "invalid_phone")


@pytest.mark.parametrize(
    "body",
    [{"phone": PHONE}, {"phone": PHONE, "code": ["123456"]}, {"phone": PHONE, "code": {}}],
    ids=["no-code", "list", "object"],
)
def test_a_malformed_verify_body_is_a_validation_error(api: Any, body: dict[str, Any]) -> None:
    response = api.post("/api/v1/auth/otp/verify/", body, format="json")

    error = assert_error(response, 400, "invalid")
    assert "code" in error["fields"]


def test_a_malformed_consent_is_a_validation_error(
    request_code: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    request_code(PHONE)

    response = verify(PHONE, last_code(PHONE), {"offer_agreement": "maybe"})

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) >= {"consent.offer_agreement"}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Enter a Kyrgyz mobile number, e.g. +996 700 123 456."),
        ("ru", "Введите кыргызский мобильный номер, например +996 700 123 456."),
        (None, "Введите кыргызский мобильный номер, например +996 700 123 456."),
    ],
)
def test_error_messages_speak_the_language_of_the_request(
    request_code: Callable[..., Any], language: str | None, expected: str
) -> None:
    extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}

    response = request_code("hello", **extra)

    assert assert_error(response, 400, "invalid_phone")["message"] == expected


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/auth/otp/request/"), ("get", "/api/v1/auth/otp/verify/")],
)
def test_a_wrong_method_is_method_not_allowed(api: Any, method: str, path: str) -> None:
    assert_error(getattr(api, method)(path), 405, "method_not_allowed")


def test_the_access_token_carries_the_contract_claims(login: Callable[..., Any]) -> None:
    body = login(PHONE)

    claims = jwt.decode(body["access"], options={"verify_signature": False})
    assert claims["userId"] == body["user"]["id"]
    assert claims["role"] == "user"
    assert claims["phone"] == PHONE
    assert isinstance(claims["iat"], int)
    assert isinstance(claims["exp"], int)
    assert 14 * 60 <= claims["exp"] - claims["iat"] <= 15 * 60


def test_a_banned_user_cannot_log_in(
    request_code: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    user_ban(user=UserFactory(phone=PHONE), actor=None)
    request_code(PHONE)

    response = verify(PHONE, last_code(PHONE))

    # The contract's table names no code for this; the login must fail in the error shape.
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"error"}
