"""The FreedomPay provider against FreedomPay's documented messages and signature.

Sources (see the module's docstring): freedompay.kg/docs/merchant-api/pay (init_payment),
docs.freedompay.kz/api-12007677 (result notify), paybox.money/us_en/dev/merchant-to-paybox and
Platron/php-sdk tests/unit/SigHelperTest.php (signature vectors). No test needs the database
or the network: FreedomPay is a fake transport, a payment a stand-in.
"""

import hashlib
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from promotions.providers import freedompay
from promotions.providers.base import (
    EventStatus,
    InvalidSignature,
    MalformedEvent,
    ProviderError,
    WebhookEvent,
    WebhookOutcome,
)
from promotions.providers.freedompay import FreedomPayProvider
from tests.fakes import Answer, FakeHTTP

MERCHANT_ID = "552001"
SECRET_KEY = "Xk2mq8ZpL0aR7vTw"
RESULT_PATH = "/api/v1/payments/webhook/freedompay/"
RESULT_URL = f"https://api.360.kg{RESULT_PATH}"
INIT_URL = "https://api.freedompay.kg/init_payment.php"
PAYMENT_ID = uuid.UUID("3f2c1b8e-4d5a-4f6b-9c7d-8e9f0a1b2c3d")


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - FreedomPay's scheme


# --- Fakes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandInPayment:
    id: uuid.UUID
    amount: Decimal
    currency: str
    expires_at: datetime


def a_payment(**overrides: Any) -> StandInPayment:
    fields: dict[str, Any] = {
        "id": PAYMENT_ID,
        "amount": Decimal("500"),
        "currency": "KGS",
        "expires_at": timezone.now() + timedelta(minutes=30),
    }
    return StandInPayment(**(fields | overrides))


def fields_of(request: requests.PreparedRequest) -> dict[str, str]:
    body = request.body
    text = body.decode() if isinstance(body, bytes) else body or ""
    return dict(parse_qsl(text, keep_blank_values=True))


@pytest.fixture(autouse=True)
def _freedompay_settings(settings: Any) -> None:
    settings.FREEDOMPAY_MERCHANT_ID = MERCHANT_ID
    settings.FREEDOMPAY_SECRET_KEY = SECRET_KEY
    settings.FREEDOMPAY_API_URL = "https://api.freedompay.kg"
    settings.FREEDOMPAY_RESULT_URL = RESULT_URL
    settings.FREEDOMPAY_SUCCESS_URL = "https://360.kg/pay/success"
    settings.FREEDOMPAY_FAILURE_URL = "https://360.kg/pay/failure"
    settings.FREEDOMPAY_TESTING_MODE = True
    settings.FREEDOMPAY_TIMEOUT_SECONDS = 7


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> FakeHTTP:
    return FakeHTTP(content_type="text/xml; charset=utf-8").install(monkeypatch, freedompay)


# --- The signature: documented examples ------------------------------------------------------


def test_the_signature_of_the_documented_nested_xml_example() -> None:
    # paybox.money/us_en/dev/merchant-to-paybox: a request to script.php signed with the secret
    # key "mypasskey" is md5('script.php;value1;value2;9imM909TH820jwk387;value3;subvalue1;
    # subvalue2;mypasskey'); the md5 itself is the one pashagray/paybox_money's signature_spec.rb
    # expects.
    request = ET.fromstring(  # noqa: S314 - our own literal
        "<request><pg_salt>9imM909TH820jwk387</pg_salt><pg_t_param>value3</pg_t_param>"
        "<pg_a_param>value1</pg_a_param><pg_z_param><pg_q_subparam>subvalue2</pg_q_subparam>"
        "<pg_m_subparam>subvalue1</pg_m_subparam></pg_z_param><pg_b_param>value2</pg_b_param>"
        "<pg_sig>whatever</pg_sig></request>"
    )

    values = freedompay.xml_values(request)

    assert values == [
        "value1", "value2", "9imM909TH820jwk387", "value3", "subvalue1", "subvalue2"
    ]  # fmt: skip
    signature = freedompay.sign("script.php", values, "mypasskey")
    assert signature == "a8a4d5a9188f24038a14a4d65c387bf7"


@pytest.mark.parametrize(
    "fields",
    [[("test", "test1"), ("test2", "test3")], [("test2", "test3"), ("test", "test1")]],
    ids=["in order", "reversed"],
)
def test_the_signature_of_the_reference_sdk_vector(fields: list[tuple[str, str]]) -> None:
    # Platron/php-sdk tests/unit/SigHelperTest.php (the helper PayBox/FreedomPay took over),
    # secret key "rofoneqaxujagexi".
    values = freedompay.form_values(fields)

    signature = freedompay.sign("payment.php", values, "rofoneqaxujagexi")

    assert signature == "27a5edfcb35e2fa44c9adef6994af3f0"


@pytest.mark.parametrize(
    ("script", "description", "expected"),
    [
        ("test.php", "test", "7e3123d36e6aa859f40dbe4d7eff7c34"),
        ("request", "advsfdvsdvsd", "5ea94ad2bf3c1780f5e1912f9e4b803c"),
    ],
)
def test_the_xml_signature_of_the_reference_sdk_vectors(
    script: str, description: str, expected: str
) -> None:
    # Platron/php-sdk tests/unit/SigHelperTest.php, providerMakeXml.
    response = ET.Element("response")
    ET.SubElement(response, "pg_description").text = description

    values = freedompay.xml_values(response)

    assert freedompay.sign(script, values, "rofoneqaxujagexi") == expected


def test_the_init_payment_signature_orders_fields_as_documented() -> None:
    # freedompay.kg/docs/merchant-api/pay: pg_order_id=23, pg_amount=25, pg_description=test,
    # pg_salt=molbulak is signed over
    # 'init_payment.php;25;test;{{merchant_id}};23;molbulak;{{secret_key}}'.
    fields = [
        ("pg_order_id", "23"),
        ("pg_merchant_id", MERCHANT_ID),
        ("pg_amount", "25"),
        ("pg_description", "test"),
        ("pg_salt", "molbulak"),
    ]

    signature = freedompay.sign("init_payment.php", freedompay.form_values(fields), SECRET_KEY)

    assert signature == md5(f"init_payment.php;25;test;{MERCHANT_ID};23;molbulak;{SECRET_KEY}")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("www.test.ru/admin/test.php", "test.php"),  # Platron's SigHelperTest
        (INIT_URL, "init_payment.php"),
        ("http://site.kz/result", "result"),
        ("http://site.kz/result?order=1", "result"),
        (RESULT_URL, ""),  # "from the last '/' to the end": nothing after a trailing slash
    ],
)
def test_the_script_name_is_the_path_after_its_last_slash(url: str, expected: str) -> None:
    assert freedompay.script_name(url) == expected


# --- create_checkout ---------------------------------------------------------------------------


def init_answer(**overrides: str) -> bytes:
    """FreedomPay's documented answer to init_payment.php, signed with our secret key (the
    documented pg_sig is over a secret key the page does not show)."""
    fields = {
        "pg_status": "ok",
        "pg_payment_id": "4567788",
        "pg_redirect_url": "https://api.freedompay.kg/pay.html?customer=498333170d6a895148c57c53ffb18287",
        "pg_redirect_url_type": "need data",
        "pg_salt": "bdwLavL9lg6It91b",
    }
    signed = ";".join(["init_payment.php", *(fields[k] for k in sorted(fields)), SECRET_KEY])
    fields["pg_sig"] = md5(signed)
    fields.update(overrides)
    tags = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()).replace("&", "&amp;")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<response>{tags}</response>'.encode()


def test_create_checkout_sends_the_documented_signed_fields(gateway: FakeHTTP) -> None:
    gateway.replies = [(200, init_answer())]

    FreedomPayProvider().create_checkout(payment=a_payment(), description="Поднятие: 7 дней")

    request = gateway.requests[0]
    assert (request.method, request.url) == ("POST", INIT_URL)
    assert gateway.timeouts == [7]
    sent = fields_of(request)
    salt = sent["pg_salt"]
    assert salt.isalnum()
    lifetime = int(sent["pg_lifetime"])
    assert 1790 <= lifetime <= 1800
    assert sent == {
        "pg_merchant_id": MERCHANT_ID,
        "pg_order_id": str(PAYMENT_ID),
        "pg_amount": "500.00",
        "pg_currency": "KGS",
        "pg_description": "Поднятие: 7 дней",
        "pg_lifetime": str(lifetime),
        "pg_result_url": RESULT_URL,
        "pg_request_method": "POST",
        "pg_success_url": "https://360.kg/pay/success",
        "pg_failure_url": "https://360.kg/pay/failure",
        "pg_testing_mode": "1",
        "pg_salt": salt,
        "pg_sig": md5(
            # Values in the order of their names, between the script name and the secret key.
            f"init_payment.php;500.00;KGS;Поднятие: 7 дней;https://360.kg/pay/failure;{lifetime};"
            f"{MERCHANT_ID};{PAYMENT_ID};POST;{RESULT_URL};{salt};https://360.kg/pay/success;1;"
            f"{SECRET_KEY}"
        ),
    }


def test_the_lifetime_stays_within_the_documented_bounds(gateway: FakeHTTP) -> None:
    gateway.replies = [(200, init_answer())]
    provider = FreedomPayProvider()

    provider.create_checkout(
        payment=a_payment(expires_at=timezone.now() + timedelta(seconds=20)), description="x"
    )
    provider.create_checkout(
        payment=a_payment(expires_at=timezone.now() + timedelta(days=30)), description="x"
    )

    lifetimes = [fields_of(request)["pg_lifetime"] for request in gateway.requests]
    assert lifetimes == ["300", "604800"]


def test_a_good_answer_gives_the_payment_page_and_freedompays_payment_id(
    gateway: FakeHTTP,
) -> None:
    gateway.replies = [(200, init_answer())]

    checkout = FreedomPayProvider().create_checkout(payment=a_payment(), description="x")

    assert checkout.checkout_url == (
        "https://api.freedompay.kg/pay.html?customer=498333170d6a895148c57c53ffb18287"
    )
    assert checkout.provider_reference == "4567788"


def test_a_refusal_is_a_provider_error(gateway: FakeHTTP) -> None:
    # Unsigned, as FreedomPay answers when it cannot tell the merchant.
    gateway.replies = [
        (
            200,
            b'<?xml version="1.0" encoding="utf-8"?><response><pg_status>error</pg_status>'
            b"<pg_error_code>101</pg_error_code>"
            b"<pg_error_description>Merchant not found</pg_error_description></response>",
        )
    ]

    with pytest.raises(ProviderError, match="101 Merchant not found"):
        FreedomPayProvider().create_checkout(payment=a_payment(), description="x")


@pytest.mark.parametrize(
    "answer",
    [
        init_answer(pg_sig="0" * 32),
        init_answer(pg_sig=""),
        # Signed, then the payer's page swapped for another.
        init_answer(pg_redirect_url="https://evil.example/pay.html"),
    ],
    ids=["wrong signature", "no signature", "tampered redirect"],
)
def test_an_answer_with_a_bad_signature_is_a_provider_error(
    gateway: FakeHTTP, answer: bytes
) -> None:
    gateway.replies = [(200, answer)]

    with pytest.raises(ProviderError, match="bad signature"):
        FreedomPayProvider().create_checkout(payment=a_payment(), description="x")


@pytest.mark.parametrize(
    "reply",
    [
        requests.Timeout("read timed out"),
        requests.ConnectionError("connection refused"),
        (502, b"<html>Bad gateway</html>"),
        (200, b"<html>not xml"),
    ],
    ids=["timeout", "connection error", "http 502", "not xml"],
)
def test_an_unreachable_or_garbled_freedompay_is_a_provider_error(
    gateway: FakeHTTP, reply: Answer
) -> None:
    gateway.replies = [reply]

    with pytest.raises(ProviderError):
        FreedomPayProvider().create_checkout(payment=a_payment(), description="x")


@pytest.mark.parametrize(
    "missing", ["FREEDOMPAY_MERCHANT_ID", "FREEDOMPAY_SECRET_KEY", "FREEDOMPAY_RESULT_URL"]
)
def test_the_provider_needs_its_settings(settings: Any, gateway: FakeHTTP, missing: str) -> None:
    setattr(settings, missing, None)
    provider = FreedomPayProvider()

    with pytest.raises(ImproperlyConfigured, match=missing):
        provider.create_checkout(payment=a_payment(), description="x")
    with pytest.raises(ImproperlyConfigured, match=missing):
        provider.parse_webhook(callback())
    assert gateway.requests == []


# --- parse_webhook -----------------------------------------------------------------------------


# The documented result notify fields (docs.freedompay.kz/api-12007677).
RESULT_NOTIFY = {
    "pg_order_id": str(PAYMENT_ID),
    "pg_payment_id": "12345",
    "pg_amount": "500",
    "pg_currency": "KGS",
    "pg_net_amount": "482.5",
    "pg_ps_amount": "500",
    "pg_ps_full_amount": "500",
    "pg_ps_currency": "KGS",
    "pg_description": "Поднятие: 7 дней",
    "pg_result": "1",
    "pg_payment_date": "2019-01-01 12:00:00",
    "pg_can_reject": "1",
    "pg_user_phone": "996700123456",
    "pg_testing_mode": "1",
    "pg_captured": "0",
    "pg_card_pan": "5483-18XX-XXXX-0293",
    "pg_salt": "S0meRand0mStr1ng",
}


def signed(fields: dict[str, str]) -> dict[str, str]:
    """`fields` signed as FreedomPay signs a call of our result URL: its script name (after
    the last '/' of .../freedompay/) is empty, so the signed string starts with ';'."""
    values = [fields[name] for name in sorted(fields)]
    return fields | {"pg_sig": md5(";".join(["", *values, SECRET_KEY]))}


def result_fields(**changes: str) -> dict[str, str]:
    return signed(RESULT_NOTIFY | changes)


def callback(fields: dict[str, str] | None = None) -> HttpRequest:
    # RequestFactory posts multipart, the encoding FreedomPay's reference shows.
    return RequestFactory().post(RESULT_PATH, data=fields or result_fields())


def test_a_signed_success_is_a_succeeded_event() -> None:
    event = FreedomPayProvider().parse_webhook(callback())

    assert event == WebhookEvent(
        event_id="freedompay:12345:succeeded",
        payment_id=PAYMENT_ID,
        status="succeeded",
        amount=Decimal("500"),
        currency="KGS",
        provider_reference="12345",
    )


def test_a_signed_failure_is_a_failed_event() -> None:
    fields = result_fields(pg_result="0", pg_failure_code="1042")

    event = FreedomPayProvider().parse_webhook(callback(fields))

    assert (event.event_id, event.status) == ("freedompay:12345:failed", "failed")


def test_a_form_encoded_or_query_string_callback_is_read_too() -> None:
    fields = result_fields()
    factory = RequestFactory()
    form = factory.post(
        RESULT_PATH, data=urlencode(fields), content_type="application/x-www-form-urlencoded"
    )
    query = factory.get(RESULT_PATH, data=fields)
    provider = FreedomPayProvider()

    assert provider.parse_webhook(form) == provider.parse_webhook(query)


def test_a_redelivery_is_the_same_event() -> None:
    # FreedomPay repeats an unanswered call; a repeat may carry a fresh salt and signature.
    provider = FreedomPayProvider()

    first = provider.parse_webhook(callback())
    again = provider.parse_webhook(callback(result_fields(pg_salt="An0therSa1t")))

    assert first.event_id == again.event_id


@pytest.mark.parametrize(
    "fields",
    [
        RESULT_NOTIFY,
        result_fields() | {"pg_sig": "0" * 32},
        result_fields() | {"pg_sig": ""},
        result_fields() | {"pg_sig": "ЖЖЖ"},
        {**result_fields(), "pg_amount": "5"},
        {**result_fields(), "pg_result": "1", "pg_order_id": str(uuid.uuid4())},
        {**result_fields(pg_result="0"), "pg_result": "1"},
        {**result_fields(), "pg_extra": "added"},
    ],
    ids=[
        "missing",
        "wrong",
        "empty",
        "not ascii",
        "tampered amount",
        "another order",
        "failure turned success",
        "field added",
    ],
)
def test_a_bad_signature_is_refused(fields: dict[str, str]) -> None:
    with pytest.raises(InvalidSignature):
        FreedomPayProvider().parse_webhook(callback(fields))


def test_a_callback_signed_with_another_secret_is_refused(settings: Any) -> None:
    fields = result_fields()
    settings.FREEDOMPAY_SECRET_KEY = "another-merchant-secret"

    with pytest.raises(InvalidSignature):
        FreedomPayProvider().parse_webhook(callback(fields))


@pytest.mark.parametrize(
    "fields",
    [
        result_fields(pg_result="2"),
        result_fields(pg_order_id="23"),
        result_fields(pg_amount="five hundred"),
        result_fields(pg_amount="NaN"),
        signed({k: v for k, v in RESULT_NOTIFY.items() if k != "pg_payment_id"}),
    ],
    ids=["unknown result", "order id not ours", "amount not a number", "amount NaN", "no id"],
)
def test_a_signed_callback_without_what_an_event_needs_is_malformed(
    fields: dict[str, str],
) -> None:
    with pytest.raises(MalformedEvent):
        FreedomPayProvider().parse_webhook(callback(fields))


def test_a_signed_callback_repeating_a_field_is_malformed() -> None:
    # Repeated names are signed in message order, so the signature holds; the amount is moot.
    pairs = [*RESULT_NOTIFY.items(), ("pg_amount", "5")]
    values = [value for _, value in sorted(pairs, key=lambda pair: pair[0])]
    pairs.append(("pg_sig", md5(";".join(["", *values, SECRET_KEY]))))
    request = RequestFactory().post(
        RESULT_PATH, data=urlencode(pairs), content_type="application/x-www-form-urlencoded"
    )

    with pytest.raises(MalformedEvent, match="pg_amount"):
        FreedomPayProvider().parse_webhook(request)


# --- webhook_response --------------------------------------------------------------------------


def an_event(status: EventStatus = "succeeded") -> WebhookEvent:
    return WebhookEvent(
        event_id=f"freedompay:12345:{status}",
        payment_id=PAYMENT_ID,
        status=status,
        amount=Decimal("500"),
        currency="KGS",
        provider_reference="12345",
    )


def answer_of(
    request: HttpRequest, outcome: WebhookOutcome, *, http_status: int = 200
) -> dict[str, str]:
    response = FreedomPayProvider().webhook_response(request, outcome)
    assert response.status_code == http_status
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?><response>')
    root = ET.fromstring(response.content)  # noqa: S314 - our own answer
    assert [child.tag for child in root] == ["pg_status", "pg_description", "pg_salt", "pg_sig"]
    return {child.tag: child.text or "" for child in root}


def test_an_applied_event_is_answered_ok_signed_for_the_result_url() -> None:
    answer = answer_of(callback(), WebhookOutcome(event=an_event()))

    assert answer["pg_status"] == "ok"
    assert answer["pg_salt"] == "S0meRand0mStr1ng"  # the callback's, as the reference echoes
    # Values by name (description, salt, status) after the result URL's (empty) script name.
    assert answer["pg_sig"] == md5(f";{answer['pg_description']};S0meRand0mStr1ng;ok;{SECRET_KEY}")


def test_a_failed_payment_is_acknowledged_too() -> None:
    request = callback(result_fields(pg_result="0"))

    answer = answer_of(request, WebhookOutcome(event=an_event("failed")))

    assert answer["pg_status"] == "ok"


@pytest.mark.parametrize("code", ["not_found", "amount_mismatch"])
def test_a_paid_payment_that_is_not_ours_is_rejected_when_freedompay_allows(code: str) -> None:
    rejectable = answer_of(callback(), WebhookOutcome(event=an_event(), code=code))
    final = answer_of(
        callback(result_fields(pg_can_reject="0")), WebhookOutcome(event=an_event(), code=code)
    )

    assert rejectable["pg_status"] == "rejected"
    assert final["pg_status"] == "error"


def test_a_malformed_callback_is_answered_error() -> None:
    answer = answer_of(callback(), WebhookOutcome(event=None, code="invalid"))

    assert answer["pg_status"] == "error"


def test_an_unverified_callback_is_answered_error_without_echoing_its_salt() -> None:
    # A salt holding ';' would make our signed answer pass for a callback of the caller's making.
    forged = {"pg_salt": "500;KGS;x", "pg_can_reject": "1", "pg_sig": "0" * 32}

    answer = answer_of(callback(forged), WebhookOutcome(event=None, code="invalid_signature"))

    assert answer["pg_status"] == "error"
    assert answer["pg_salt"] != forged["pg_salt"]
    assert answer["pg_salt"].isalnum()
    assert answer["pg_sig"] == md5(
        f";{answer['pg_description']};{answer['pg_salt']};error;{SECRET_KEY}"
    )


def test_a_salt_outside_the_documented_alphabet_is_never_echoed() -> None:
    answer = answer_of(callback(result_fields(pg_salt="a;b")), WebhookOutcome(event=an_event()))

    assert answer["pg_salt"] != "a;b"
    assert answer["pg_salt"].isalnum()


def test_an_outcome_it_does_not_know_asks_freedompay_to_call_again() -> None:
    outcome = WebhookOutcome(event=an_event(), code="service_unavailable")

    answer = answer_of(callback(), outcome, http_status=503)

    assert answer["pg_status"] == "error"
