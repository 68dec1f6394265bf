"""The webhook: signature first, then the contract's order of checks; each event applies once."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import AuditEntry
from listings.models import Listing
from promotions.models import Payment, PaymentEvent, PaymentStatus, Promotion, PromotionStatus
from promotions.providers.test import sign
from promotions.services.payments import payments_expire_unpaid
from tests.helpers import assert_error

from .conftest import active_listing, bought, event_body, pay, send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plans")]


@pytest.fixture
def promotion(author: Any) -> Promotion:
    return bought(author, active_listing(author))


def assert_unchanged(promotion: Promotion) -> None:
    promotion.refresh_from_db()
    promotion.payment.refresh_from_db()
    assert promotion.payment.status == PaymentStatus.PENDING
    assert promotion.status == PromotionStatus.PENDING_PAYMENT
    assert Listing.objects.get(pk=promotion.listing_id).boosted_until is None
    assert not PaymentEvent.objects.exists()
    assert not AuditEntry.objects.filter(action__in=("payment.succeeded", "promotion.active"))


@pytest.mark.parametrize("signature", [None, " ", "sha256=" + "0" * 64, "md5=abc", "sha256="])
def test_a_bad_or_missing_signature_records_nothing(promotion: Promotion, signature: Any) -> None:
    assert_error(send(event_body(promotion.payment), signature), 400, "invalid_signature")
    assert_unchanged(promotion)


def test_the_bare_hex_without_its_prefix_is_refused(promotion: Promotion) -> None:
    body = event_body(promotion.payment)

    assert_error(send(body, sign(body).removeprefix("sha256=")), 400, "invalid_signature")
    assert_unchanged(promotion)


def test_a_signature_made_with_another_secret_is_refused(promotion: Promotion) -> None:
    body = event_body(promotion.payment)

    assert_error(send(body, sign(body, "another-secret")), 400, "invalid_signature")
    assert_unchanged(promotion)


def test_a_tampered_body_is_refused(promotion: Promotion) -> None:
    body = event_body(promotion.payment, status="failed")
    signature = sign(body)
    tampered = body.replace(b'"failed"', b'"succeeded"')

    assert_error(send(tampered, signature), 400, "invalid_signature")
    assert_unchanged(promotion)


@pytest.mark.parametrize(
    "changes", [{"amount": "1.00"}, {"amount": "400.01"}, {"currency": "USD"}, {"currency": "KZT"}]
)
def test_a_wrong_amount_or_currency_changes_nothing(
    promotion: Promotion, changes: dict[str, str]
) -> None:
    assert_error(send(event_body(promotion.payment, **changes)), 400, "amount_mismatch")
    assert_unchanged(promotion)


def test_the_same_amount_written_otherwise_matches(promotion: Promotion) -> None:
    pay(promotion, amount=400, currency="kgs")

    assert promotion.payment.status == PaymentStatus.SUCCEEDED


def test_an_unknown_payment_is_not_found(promotion: Promotion) -> None:
    body = event_body(promotion.payment, payment_id="6f1c3c1e-2f0a-4c53-9a55-0c1f5d0e8b11")

    assert_error(send(body), 404, "not_found")
    assert_unchanged(promotion)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"event_id": "e1"}',
        b'{"event_id": "e1", "payment_id": "x", "status": "succeeded", "amount": "1", '
        b'"currency": "KGS"}',
        b'{"event_id": "e1", "payment_id": "6f1c3c1e-2f0a-4c53-9a55-0c1f5d0e8b11", '
        b'"status": "paid", "amount": "1", "currency": "KGS"}',
        b'{"event_id": "e1", "payment_id": "6f1c3c1e-2f0a-4c53-9a55-0c1f5d0e8b11", '
        b'"status": "failed", "amount": "NaN", "currency": "KGS"}',
    ],
)
def test_a_signed_but_unreadable_event_is_invalid(promotion: Promotion, body: bytes) -> None:
    assert_error(send(body), 400, "invalid")
    assert_unchanged(promotion)


def test_an_unknown_or_disabled_provider_is_not_found(promotion: Promotion) -> None:
    body = event_body(promotion.payment)
    for provider in ("paypal", "freedompay"):
        response = Client().post(
            f"/api/v1/payments/webhook/{provider}/",
            data=body,
            content_type="application/json",
            headers={"X-Signature": sign(body)},
        )
        assert_error(response, 404, "not_found")
    assert_unchanged(promotion)


def test_the_same_event_twice_applies_once(promotion: Promotion) -> None:
    body = event_body(promotion.payment)

    first, second = send(body), send(body)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.ACTIVE
    assert PaymentEvent.objects.count() == 1
    assert AuditEntry.objects.filter(action="payment.succeeded").count() == 1
    assert AuditEntry.objects.filter(action="promotion.active").count() == 1


def test_a_repeated_event_id_is_answered_before_the_payment_is_checked(
    promotion: Promotion,
) -> None:
    body = event_body(promotion.payment, event_id="evt-1")
    send(body)

    # The same event id again, now with a wrong amount: a repeat, nothing checked or changed.
    repeat = send(event_body(promotion.payment, event_id="evt-1", amount="1.00"))

    assert repeat.status_code == 200
    assert repeat.json()["duplicate"] is True


def test_a_late_failure_after_success_changes_nothing(promotion: Promotion) -> None:
    pay(promotion)
    ends_at = promotion.ends_at

    pay(promotion, "failed")

    assert promotion.payment.status == PaymentStatus.SUCCEEDED
    assert (promotion.status, promotion.ends_at) == (PromotionStatus.ACTIVE, ends_at)
    late = PaymentEvent.objects.get(status="failed")
    assert late.applied is False
    assert not AuditEntry.objects.filter(action__in=("payment.failed", "promotion.failed"))


def test_a_failed_payment_fails_its_promotion_and_the_listing_is_not_boosted(
    promotion: Promotion,
) -> None:
    pay(promotion, "failed")

    assert promotion.payment.status == PaymentStatus.FAILED
    assert promotion.status == PromotionStatus.FAILED
    assert promotion.starts_at is None
    promotion.listing.refresh_from_db()
    assert promotion.listing.boosted_until is None
    assert AuditEntry.objects.filter(action="promotion.failed", target_id=str(promotion.pk))


def test_a_refund_before_payment_changes_nothing(promotion: Promotion) -> None:
    pay(promotion, "refunded")

    assert promotion.payment.status == PaymentStatus.PENDING
    assert promotion.status == PromotionStatus.PENDING_PAYMENT


def test_money_arriving_after_the_payment_expired_is_honoured(promotion: Promotion) -> None:
    Payment.objects.filter(pk=promotion.payment_id).update(expires_at=promotion.payment.created_at)
    assert payments_expire_unpaid() == 1
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.CANCELED

    pay(promotion)

    assert promotion.payment.status == PaymentStatus.SUCCEEDED
    assert promotion.status == PromotionStatus.ACTIVE


def test_the_webhook_needs_no_csrf_token_nor_login(promotion: Promotion) -> None:
    response = send(event_body(promotion.payment), client=Client(enforce_csrf_checks=True))

    assert response.status_code == 200, response.content


def test_the_webhook_is_not_held_by_the_api_throttles(
    promotion: Promotion, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.throttling import AnonRateThrottle

    # The rates are read into the class at import; patch them there (and only for this test).
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1/min", "user": "1/min"})

    statuses = [send(event_body(promotion.payment, "failed")).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
