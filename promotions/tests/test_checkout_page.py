"""The test provider's checkout page: served with DEBUG on and to the local machine only, it
completes or fails a payment through a signed callback."""

from typing import Any

import pytest
from django.test import Client

from promotions.models import PaymentEvent, PaymentStatus, PromotionStatus

from .conftest import active_listing, bought

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plans")]


def page_of(promotion: Any) -> str:
    return f"/payments/test-checkout/{promotion.payment_id}/"


@pytest.mark.parametrize(
    ("outcome", "payment_status", "promotion_status"),
    [
        ("succeeded", PaymentStatus.SUCCEEDED, PromotionStatus.ACTIVE),
        ("failed", PaymentStatus.FAILED, PromotionStatus.FAILED),
    ],
)
def test_the_checkout_page_completes_a_payment(
    author: Any, settings: Any, outcome: str, payment_status: str, promotion_status: str
) -> None:
    settings.DEBUG = True
    promotion = bought(author, active_listing(author))
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    page = client.get(page_of(promotion))
    assert page.status_code == 200
    assert b"400.00 KGS" in page.content
    token = page.cookies["csrftoken"].value

    response = client.post(page_of(promotion), {"outcome": outcome, "csrfmiddlewaretoken": token})

    assert response.status_code == 200
    promotion.refresh_from_db()
    promotion.payment.refresh_from_db()
    assert (promotion.payment.status, promotion.status) == (payment_status, promotion_status)
    assert PaymentEvent.objects.get().payment_id == promotion.payment_id


def test_the_checkout_page_needs_its_csrf_token(author: Any, settings: Any) -> None:
    settings.DEBUG = True
    promotion = bought(author, active_listing(author))

    response = Client(enforce_csrf_checks=True).post(page_of(promotion), {"outcome": "succeeded"})

    assert response.status_code == 403
    promotion.payment.refresh_from_db()
    assert promotion.payment.status == PaymentStatus.PENDING


def test_the_checkout_page_is_not_served_without_debug(author: Any, settings: Any) -> None:
    settings.DEBUG = False
    promotion = bought(author, active_listing(author))

    assert Client().get(page_of(promotion)).status_code == 404
    assert Client().post(page_of(promotion), {"outcome": "succeeded"}).status_code == 404
    promotion.payment.refresh_from_db()
    assert promotion.payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize(
    "caller",
    [
        {"REMOTE_ADDR": "192.168.1.20"},
        {"REMOTE_ADDR": "192.168.1.20", "HTTP_X_FORWARDED_FOR": "127.0.0.1"},
    ],
    ids=["lan", "spoofed-forwarded-for"],
)
def test_the_checkout_page_answers_only_the_local_machine(
    author: Any, settings: Any, caller: dict[str, str]
) -> None:
    settings.DEBUG = True
    promotion = bought(author, active_listing(author))
    local = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert local.get(page_of(promotion)).status_code == 200
    token = local.cookies["csrftoken"].value
    client = Client(enforce_csrf_checks=True, **caller)
    client.cookies["csrftoken"] = token

    assert client.get(page_of(promotion)).status_code == 404
    response = client.post(
        page_of(promotion), {"outcome": "succeeded", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 404
    promotion.payment.refresh_from_db()
    assert promotion.payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()
