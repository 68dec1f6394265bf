"""Buying a business subscription through the payment mechanism of promotions (purpose
`subscription`): the order, the webhook, renewals, refunds and paused listings restored."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from business.models import Business, SubscriptionOrder
from business.services.subscriptions import add_months, subscriptions_lapse
from business.tests.conftest import client_for, join, make_business, url
from listings.models import Listing
from listings.tests.conftest import create
from promotions.models import Payment
from promotions.services.payments import payment_mark_refunded, payments_expire_unpaid
from promotions.tests.conftest import event_body, send
from tests.helpers import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("subscription_plans")]


@pytest.fixture
def subscription_plans() -> None:
    import importlib

    from django.apps import apps

    importlib.import_module("business.migrations.0003_seed_plans").seed(apps, None)


@pytest.fixture
def owner() -> Any:
    return UserFactory()


@pytest.fixture
def business(owner: Any) -> Business:
    return make_business(owner)


def buy(user: Any, business: Business, plan: str = "business_monthly") -> Any:
    return client_for(user).post(url(business, "subscription/"), {"plan": plan}, format="json")


def bought(user: Any, business: Business, plan: str = "business_monthly") -> Payment:
    response = buy(user, business, plan)
    assert response.status_code == 201, response.content
    return Payment.objects.get(pk=response.json()["id"])


def settle(payment: Payment, status: str = "succeeded") -> None:
    assert send(event_body(payment, status)).status_code == 200
    payment.refresh_from_db()


def test_an_admin_buys_a_plan_and_gets_a_payment_as_for_a_promotion(
    owner: Any, business: Business
) -> None:
    response = buy(owner, business)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "amount", "currency", "provider", "checkout_url", "expires_at"}
    assert (body["amount"], body["currency"]) == ("2500.00", settings.PAYMENT_CURRENCY)
    assert body["checkout_url"].startswith("http://testserver/")
    payment = Payment.objects.get(pk=body["id"])
    assert (payment.purpose, payment.status, payment.payer) == ("subscription", "pending", owner)
    order = SubscriptionOrder.objects.get(payment_id=payment.pk)
    assert (order.business, order.plan_id, order.status) == (
        business,
        "business_monthly",
        "pending",
    )
    assert client_for(owner).get(f"/api/v1/payments/{payment.pk}/").json()["purpose"] == (
        "subscription"
    )


def test_only_its_admins_buy(business: Business) -> None:
    seller, outsider = join(business, "seller"), UserFactory()

    assert_error(buy(seller, business), 403, "permission_denied")
    assert_error(buy(outsider, business), 404, "not_found")
    assert_error(buy(None, business), 401, "not_authenticated")
    assert not Payment.objects.exists()


def test_an_unknown_or_withdrawn_plan_is_refused(owner: Any, business: Business) -> None:
    from business.models import SubscriptionPlan

    SubscriptionPlan.objects.filter(code="business_yearly").update(is_active=False)

    for plan in ("boost_7", "business_yearly"):
        assert set(assert_error(buy(owner, business, plan), 400, "invalid")["fields"]) == {"plan"}


def test_without_a_payment_provider_buying_is_503(
    owner: Any, business: Business, settings: Any
) -> None:
    settings.PAYMENT_PROVIDERS, settings.PAYMENT_DEFAULT_PROVIDER = [], None

    assert_error(buy(owner, business), 503, "service_unavailable")


def test_paying_during_the_trial_extends_from_the_trials_end(
    owner: Any, business: Business
) -> None:
    trial_end = business.current_period_end
    assert trial_end is not None

    settle(bought(owner, business))

    business.refresh_from_db()
    assert business.subscription_status == "active"
    assert business.subscription_plan_id == "business_monthly"
    assert business.current_period_end == add_months(trial_end, 1)
    subscription = client_for(owner).get(url(business)).json()["subscription"]
    assert (subscription["plan"], subscription["status"]) == ("business_monthly", "active")
    assert AuditEntry.objects.filter(action="business.subscription_active").exists()


def test_a_renewal_extends_from_the_current_period_end(owner: Any, business: Business) -> None:
    settle(bought(owner, business))
    business.refresh_from_db()
    first_end = business.current_period_end
    assert first_end is not None

    settle(bought(owner, business, "business_yearly"))

    business.refresh_from_db()
    assert business.current_period_end == add_months(first_end, 12)
    assert business.subscription_plan_id == "business_yearly"


def test_a_lapsed_business_that_pays_starts_now(owner: Any) -> None:
    make_business(owner)
    second = make_business(owner, name="Second business")
    assert second.subscription_status == "past_due"

    settle(bought(owner, second))

    second.refresh_from_db()
    assert second.subscription_status == "active"
    assert second.past_due_since is None
    assert second.current_period_end is not None
    expected = add_months(timezone.now(), 1)
    assert abs(second.current_period_end - expected) < timedelta(minutes=1)


def test_paying_again_restores_the_paused_listings(owner: Any, business: Business) -> None:
    start = timezone.now() - timedelta(days=1)
    ids = []
    for index in range(7):
        listing_id = create(owner, business_id=str(business.pk)).json()["id"]
        Listing.objects.filter(pk=listing_id).update(
            status="active", published_at=start + timedelta(minutes=index)
        )
        ids.append(listing_id)
    assert business.current_period_end is not None
    lapsed_at = business.current_period_end + timedelta(minutes=1)
    subscriptions_lapse(now=lapsed_at)
    subscriptions_lapse(now=lapsed_at + timedelta(days=settings.BUSINESS_GRACE_PERIOD_DAYS))
    assert Listing.objects.filter(pk__in=ids, status="paused").count() == 2

    settle(bought(owner, business))

    assert Listing.objects.filter(pk__in=ids, status="active").count() == 7
    published = dict(Listing.objects.filter(pk__in=ids).values_list("pk", "published_at"))
    assert sorted(published.values()) == [start + timedelta(minutes=i) for i in range(7)]
    business.refresh_from_db()
    assert business.subscription_status == "active"
    assert create(owner, business_id=str(business.pk)).status_code == 201  # uncapped again


def test_a_refused_payment_changes_nothing_but_the_order(owner: Any, business: Business) -> None:
    payment = bought(owner, business)

    settle(payment, "failed")

    assert SubscriptionOrder.objects.get(payment_id=payment.pk).status == "failed"
    business.refresh_from_db()
    assert business.subscription_status == "trial"


def test_an_unpaid_order_is_canceled_when_its_payment_expires(
    owner: Any, business: Business
) -> None:
    payment = bought(owner, business)

    assert payments_expire_unpaid(now=payment.expires_at) == 1

    assert SubscriptionOrder.objects.get(payment_id=payment.pk).status == "canceled"


def test_a_refund_takes_back_the_unused_period(owner: Any) -> None:
    make_business(owner)
    business = make_business(owner, name="Second business")
    payment = bought(owner, business)
    settle(payment)

    assert payment_mark_refunded(payment=payment, actor=owner)

    business.refresh_from_db()
    order = SubscriptionOrder.objects.get(payment_id=payment.pk)
    assert order.status == "refunded"
    assert business.subscription_status == "past_due"
    assert business.current_period_end is not None
    assert business.current_period_end <= timezone.now()
