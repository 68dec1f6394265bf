"""The admin: plans editable, payments and promotions read-only, refunds through the service."""

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import AuditEntry, Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from core.offers import offer_save
from promotions.models import PaymentStatus, Plan, PromotionStatus

from .conftest import active_listing, bought, paid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plans")]

PAYMENTS = "/admin/promotions/payment/"


@pytest.fixture
def staff() -> Any:
    return user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None)


@pytest.fixture
def console(staff: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    return client


def test_marking_refunded_goes_through_the_service_and_is_audited(
    console: Client, staff: Any, author: Any
) -> None:
    refundable = paid(author, active_listing(author))
    unpaid = bought(author, active_listing(author))

    response = console.post(
        PAYMENTS,
        {
            "action": "mark_refunded",
            "_selected_action": [str(refundable.payment_id), str(unpaid.payment_id)],
        },
        follow=True,
    )

    assert response.status_code == 200
    refundable.refresh_from_db()
    refundable.payment.refresh_from_db()
    assert refundable.payment.status == PaymentStatus.REFUNDED
    assert refundable.status == PromotionStatus.REFUNDED
    unpaid.payment.refresh_from_db()
    assert unpaid.payment.status == PaymentStatus.PENDING
    entry = AuditEntry.objects.get(action="payment.refunded")
    assert (entry.actor_id, entry.target_id) == (staff.pk, str(refundable.payment_id))
    notes = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert ("success", "1 payment(s) marked refunded.") in notes
    assert ("warning", "1 payment(s) skipped: only a succeeded payment can be refunded.") in notes


def test_payments_and_promotions_are_read_only(console: Client, author: Any) -> None:
    promotion = paid(author, active_listing(author))

    assert console.get(PAYMENTS).status_code == 200
    assert console.get(f"{PAYMENTS}{promotion.payment_id}/change/").status_code == 200
    assert console.get(f"{PAYMENTS}add/").status_code == 403
    assert console.get(f"{PAYMENTS}{promotion.payment_id}/delete/").status_code == 403
    assert console.get("/admin/promotions/promotion/").status_code == 200
    assert console.get("/admin/promotions/promotion/add/").status_code == 403
    response = console.post(
        f"{PAYMENTS}{promotion.payment_id}/change/", {"status": "refunded", "amount": "1"}
    )
    assert response.status_code == 403
    promotion.payment.refresh_from_db()
    assert promotion.payment.status == PaymentStatus.SUCCEEDED


def test_plans_are_edited_in_the_admin(console: Client) -> None:
    response = console.post(
        "/admin/promotions/plan/boost_7/change/",
        {
            "name": "Поднятие на неделю",
            "name_ky": "",
            "name_en": "A week on top",
            "days": 7,
            "price": "450.00",
            "currency": "KGS",
            "is_active": "on",
            "position": 1,
        },
    )

    assert response.status_code == 302, response.content[:2000]
    plan = Plan.objects.get(code="boost_7")
    assert (plan.price, plan.name_en) == (Decimal("450.00"), "A week on top")


@pytest.mark.parametrize("price", ["0", "-5", "0.99"])
def test_a_plan_is_never_free(console: Client, price: str) -> None:
    response = console.post(
        "/admin/promotions/plan/boost_7/change/",
        {
            "name": "Поднятие",
            "days": 7,
            "price": price,
            "currency": "KGS",
            "is_active": "on",
            "position": 1,
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert "price" in response.context["adminform"].form.errors
    assert Plan.objects.get(code="boost_7").price != Decimal(price)


def test_the_plan_service_refuses_a_free_price() -> None:
    before = Plan.objects.get(code="boost_7").price
    plan = Plan.objects.get(code="boost_7")
    plan.price = Decimal("0")

    with pytest.raises(ValidationError):
        offer_save(offer=plan)

    assert Plan.objects.get(code="boost_7").price == before


def test_moderators_cannot_see_payments(moderator: Any) -> None:
    client = Client()
    client.force_login(moderator)

    assert client.get(PAYMENTS).status_code == 403
