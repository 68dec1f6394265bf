"""Security limits on codes: per phone, per IP, globally; real client addresses; fail closed."""

import ipaddress
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.conf import LazySettings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import sms
from accounts.models import PhoneCode, RateCounter
from tests.helpers import assert_error

from .conftest import CONSENT, PHONE, delete_resend_key, last_code

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def phone_number(n: int) -> str:
    return f"+996700{n:06d}"


def random_ip() -> str:
    return str(ipaddress.IPv4Address(0x0A000000 + uuid.uuid4().int % 0xFFFFFF))


def test_five_codes_an_hour_per_phone(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage], settings: LazySettings
) -> None:
    statuses = []
    for _ in range(6):
        statuses.append(request_code(PHONE).status_code)
        delete_resend_key(PHONE, settings)  # as if a minute had passed

    assert statuses == [202] * 5 + [429]
    assert len(outbox) == 5


def test_the_hourly_phone_limit_answers_with_a_long_retry_after(
    request_code: Callable[..., Any], settings: LazySettings
) -> None:
    for _ in range(5):
        request_code(PHONE)
        delete_resend_key(PHONE, settings)

    response = request_code(PHONE)

    assert_error(response, 429, "throttled")
    assert 60 < int(response["Retry-After"]) <= 3600


def test_the_per_phone_limit_follows_the_setting(
    request_code: Callable[..., Any], settings: LazySettings
) -> None:
    settings.OTP_PER_PHONE_PER_HOUR = 2
    statuses = []
    for _ in range(3):
        statuses.append(request_code(PHONE).status_code)
        delete_resend_key(PHONE, settings)

    assert statuses == [202, 202, 429]


def test_the_phone_limit_holds_whatever_way_the_number_is_written(
    request_code: Callable[..., Any],
) -> None:
    request_code("+996 700 123 456")

    assert request_code("0700123456").status_code == 429
    assert request_code("996700123456").status_code == 429


def test_twenty_codes_an_hour_per_address(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage]
) -> None:
    statuses = [request_code(phone_number(n)).status_code for n in range(1, 22)]

    assert statuses == [202] * 20 + [429]
    assert len(outbox) == 20
    assert PhoneCode.objects.count() == 20


def test_a_made_up_forwarded_for_header_does_not_escape_the_address_limit(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage], settings: LazySettings
) -> None:
    assert settings.TRUSTED_PROXIES == []
    statuses = [
        request_code(phone_number(n), HTTP_X_FORWARDED_FOR=random_ip()).status_code
        for n in range(1, 22)
    ]

    assert statuses == [202] * 20 + [429]
    assert len(outbox) == 20


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(
    request_code: Callable[..., Any], settings: LazySettings
) -> None:
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1/32")]
    settings.OTP_PER_IP_PER_HOUR = 2

    first = [
        request_code(phone_number(n), HTTP_X_FORWARDED_FOR="198.51.100.1").status_code
        for n in range(1, 4)
    ]
    other_client = request_code(phone_number(9), HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert first == [202, 202, 429]
    assert other_client.status_code == 202


def test_a_client_cannot_prepend_addresses_to_a_trusted_proxys_header(
    request_code: Callable[..., Any], settings: LazySettings
) -> None:
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1/32")]
    settings.OTP_PER_IP_PER_HOUR = 2

    statuses = [
        request_code(
            phone_number(n), HTTP_X_FORWARDED_FOR=f"{random_ip()}, 198.51.100.1"
        ).status_code
        for n in range(1, 4)
    ]

    assert statuses == [202, 202, 429]


def test_a_global_ceiling_caps_codes_from_many_addresses(
    request_code: Callable[..., Any], settings: LazySettings, outbox: list[sms.SmsMessage]
) -> None:
    settings.SMS_GLOBAL_PER_MINUTE = 2

    statuses = [
        request_code(phone_number(n), REMOTE_ADDR=f"203.0.113.{n}").status_code for n in range(1, 4)
    ]

    assert statuses == [202, 202, 429]
    assert len(outbox) == 2


def test_refused_requests_do_not_use_up_the_global_sms_ceiling(
    request_code: Callable[..., Any], settings: LazySettings, outbox: list[sms.SmsMessage]
) -> None:
    settings.SMS_GLOBAL_PER_MINUTE = 3
    attacker = {"REMOTE_ADDR": "203.0.113.66"}
    request_code(PHONE, **attacker)
    refused = [request_code(PHONE, **attacker).status_code for _ in range(5)]
    assert refused == [429] * 5
    assert len(outbox) == 1

    someone_else = request_code(phone_number(42), REMOTE_ADDR="198.51.100.7")

    assert someone_else.status_code == 202


def test_taps_on_resend_within_the_minute_do_not_spend_the_hourly_budget(
    request_code: Callable[..., Any], settings: LazySettings, outbox: list[sms.SmsMessage]
) -> None:
    request_code(PHONE)
    assert [request_code(PHONE).status_code for _ in range(5)] == [429] * 5
    delete_resend_key(PHONE, settings)  # a minute later

    response = request_code(PHONE)

    assert response.status_code == 202
    assert len(outbox) == 2


def test_a_throttled_request_neither_stores_nor_sends_a_code(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage]
) -> None:
    request_code(PHONE)
    code = last_code(PHONE)

    request_code(PHONE)

    assert len(outbox) == 1
    assert PhoneCode.objects.count() == 1
    # ... and the code already sent still works.
    assert (
        APIClient()
        .post("/api/v1/auth/otp/verify/", {"phone": PHONE, "code": code, "consent": CONSENT})
        .status_code
        == 200
    )


def test_verifying_is_capped_per_address(
    request_code: Callable[..., Any], verify: Callable[..., Any], settings: LazySettings
) -> None:
    settings.OTP_VERIFY_PER_IP_PER_HOUR = 3
    request_code(PHONE)
    for _ in range(3):
        verify(PHONE, "000000", CONSENT)

    response = verify(PHONE, last_code(PHONE), CONSENT)

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1


# --- Failing closed --------------------------------------------------------------------------


def test_without_the_limit_store_no_code_is_sent(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage], settings: LazySettings
) -> None:
    settings.REDIS_URL = DEAD_REDIS

    response = request_code(PHONE)

    assert_error(response, 503, "service_unavailable")
    assert outbox == []
    assert not PhoneCode.objects.exists()


def test_without_the_limit_store_no_code_is_checked(
    request_code: Callable[..., Any], verify: Callable[..., Any], settings: LazySettings
) -> None:
    request_code(PHONE)
    code = last_code(PHONE)
    settings.REDIS_URL = DEAD_REDIS

    response = verify(PHONE, code, CONSENT)

    assert_error(response, 503, "service_unavailable")
    assert PhoneCode.objects.get().used_at is None


def test_without_the_limit_store_a_phone_change_code_is_not_sent(
    me_client: APIClient,
    request_code: Callable[..., Any],
    outbox: list[sms.SmsMessage],
    settings: LazySettings,
) -> None:
    settings.REDIS_URL = DEAD_REDIS

    response = request_code("+996555987654", client=me_client, path="/api/v1/me/phone/")

    assert_error(response, 503, "service_unavailable")
    assert outbox == []


def test_without_redis_the_database_counters_hold_the_resend_limit(
    request_code: Callable[..., Any], outbox: list[sms.SmsMessage], settings: LazySettings
) -> None:
    settings.REDIS_URL = None

    first = request_code(PHONE)
    second = request_code("0700 123 456")

    assert first.status_code == 202
    assert_error(second, 429, "throttled")
    assert 1 <= int(second["Retry-After"]) <= 60
    assert len(outbox) == 1
    assert RateCounter.objects.get(key=f"otp:resend:{PHONE}").count == 2


def test_without_redis_the_database_counters_hold_the_hourly_phone_limit(
    request_code: Callable[..., Any], settings: LazySettings
) -> None:
    settings.REDIS_URL = None
    statuses = []
    for _ in range(6):
        statuses.append(request_code(PHONE).status_code)
        RateCounter.objects.filter(key=f"otp:resend:{PHONE}").delete()

    assert statuses == [202] * 5 + [429]


def test_a_database_counter_starts_over_when_its_window_ends(
    request_code: Callable[..., Any], settings: LazySettings
) -> None:
    settings.REDIS_URL = None
    request_code(PHONE)
    assert request_code(PHONE).status_code == 429

    RateCounter.objects.filter(key=f"otp:resend:{PHONE}").update(
        window_ends_at=timezone.now() - timedelta(seconds=1)
    )

    assert request_code(PHONE).status_code == 202


# --- Strangers cannot lock a phone's owner out ------------------------------------------------

DEVICE = "owners-app-install-7f3a9c21d4e8"
ATTACKER = {"REMOTE_ADDR": "198.51.100.66"}
OWNER = {"REMOTE_ADDR": "203.0.113.10"}


def spend_the_phones_budget(
    request_code: Callable[..., Any], settings: LazySettings, **extra: Any
) -> None:
    """An attacker asks for the phone's codes until its hourly limit refuses them."""
    for _ in range(settings.OTP_PER_PHONE_PER_HOUR):
        response = request_code(PHONE, **extra)
        delete_resend_key(PHONE, settings)
        if response.status_code == 429:
            break
    assert_error(request_code(PHONE, **extra), 429, "throttled")


@pytest.fixture
def request_code_as(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """POST an OTP request with a body of one's own."""

    def send(body: dict[str, Any], **extra: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return APIClient().post("/api/v1/auth/otp/request/", body, format="json", **extra)

    return send


@pytest.fixture
def owner_known_device(login_with_device: Callable[..., Any]) -> None:
    login_with_device(DEVICE)


@pytest.fixture
def login_with_device(
    request_code_as: Callable[..., Any], verify: Callable[..., Any], settings: LazySettings
) -> Callable[..., Any]:
    def run(device_id: str) -> dict[str, Any]:
        assert request_code_as({"phone": PHONE, "device_id": device_id}, **OWNER).status_code == 202
        response = APIClient().post(
            "/api/v1/auth/otp/verify/",
            {"phone": PHONE, "code": last_code(PHONE), "consent": CONSENT, "device_id": device_id},
            format="json",
            **OWNER,
        )
        assert response.status_code == 200, response.content
        delete_resend_key(PHONE, settings)
        return response.json()

    return run


def test_a_request_refused_by_the_address_limit_spends_nothing_of_the_phones_budget(
    request_code: Callable[..., Any], settings: LazySettings, outbox: list[sms.SmsMessage]
) -> None:
    settings.OTP_PER_IP_PER_HOUR = 1
    assert request_code(phone_number(1), **ATTACKER).status_code == 202

    for _ in range(3):
        assert_error(request_code(PHONE, **ATTACKER), 429, "throttled")

    # No resend wait, no hourly code spent: the owner gets their code at once, five times over.
    for _ in range(settings.OTP_PER_PHONE_PER_HOUR):
        assert request_code(PHONE, REMOTE_ADDR=random_ip()).status_code == 202
        delete_resend_key(PHONE, settings)


def test_a_known_install_still_gets_a_code_when_strangers_used_up_the_phones_limit(
    owner_known_device: None,
    request_code: Callable[..., Any],
    request_code_as: Callable[..., Any],
    verify: Callable[..., Any],
    settings: LazySettings,
) -> None:
    spend_the_phones_budget(request_code, settings, **ATTACKER)

    response = request_code_as({"phone": PHONE, "device_id": DEVICE}, **OWNER)

    assert response.status_code == 202
    login = verify_as({"phone": PHONE, "code": last_code(PHONE), "device_id": DEVICE}, **OWNER)
    assert login.status_code == 200, login.content
    # Others, the attacker among them, are still refused.
    assert_error(request_code(PHONE, **ATTACKER), 429, "throttled")
    assert_error(request_code(PHONE, **OWNER), 429, "throttled")


def verify_as(body: dict[str, Any], **extra: Any) -> Any:
    return APIClient().post("/api/v1/auth/otp/verify/", body, format="json", **extra)


def test_strangers_neither_expire_nor_burn_the_code_of_a_known_install(
    owner_known_device: None,
    request_code: Callable[..., Any],
    request_code_as: Callable[..., Any],
    settings: LazySettings,
) -> None:
    assert request_code_as({"phone": PHONE, "device_id": DEVICE}, **OWNER).status_code == 202
    owners_code = last_code(PHONE)
    # A stranger asks for a fresh code of the phone and guesses until codes burn.
    assert request_code(PHONE, **ATTACKER).status_code == 202
    wrong = next(
        guess
        for guess in ("000000", "111111", "222222")
        if guess not in (owners_code, last_code(PHONE))
    )
    for _ in range(settings.OTP_MAX_ATTEMPTS):
        assert_error(verify_as({"phone": PHONE, "code": wrong}, **ATTACKER), 400, "invalid_code")
    burned = verify_as({"phone": PHONE, "code": wrong}, **ATTACKER)
    assert_error(burned, 429, "too_many_attempts")

    login = verify_as({"phone": PHONE, "code": owners_code, "device_id": DEVICE}, **OWNER)

    assert login.status_code == 200, login.content


def test_an_install_that_never_logged_in_to_the_account_gets_no_way_past_the_limit(
    owner_known_device: None,
    request_code: Callable[..., Any],
    request_code_as: Callable[..., Any],
    settings: LazySettings,
) -> None:
    spend_the_phones_budget(request_code, settings, **ATTACKER)

    guessed = request_code_as({"phone": PHONE, "device_id": "attackers-own-install-0001"})

    assert_error(guessed, 429, "throttled")


def test_the_code_delivered_last_still_logs_in_after_the_limit_is_hit(
    request_code: Callable[..., Any], verify: Callable[..., Any], settings: LazySettings
) -> None:
    spend_the_phones_budget(request_code, settings, **ATTACKER)

    response = verify(PHONE, last_code(PHONE), CONSENT, **OWNER)

    assert response.status_code == 200, response.content


def test_a_known_install_has_a_limit_of_its_own(
    owner_known_device: None, request_code_as: Callable[..., Any], settings: LazySettings
) -> None:
    settings.OTP_PER_KNOWN_DEVICE_PER_HOUR = 2
    body = {"phone": PHONE, "device_id": DEVICE}
    store = redis.Redis.from_url(str(settings.REDIS_URL))

    statuses = []
    for _ in range(3):
        statuses.append(request_code_as(body, **OWNER).status_code)
        for key in store.scan_iter(f"rl:otp:device:{PHONE}:*:resend"):
            store.delete(key)  # as if a minute had passed

    assert statuses == [202, 202, 429]


@pytest.mark.parametrize("device_id", ["short", "x" * 129, "has spaces in it here", 42])
def test_a_malformed_device_id_is_a_validation_error(
    request_code_as: Callable[..., Any], device_id: Any
) -> None:
    response = request_code_as({"phone": PHONE, "device_id": device_id})

    assert "device_id" in assert_error(response, 400, "invalid")["fields"]
