"""Providers chosen by settings, the payment-purpose registry, and the seeded plans."""

import importlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings

from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from promotions import purposes
from promotions.models import Payment, PaymentStatus, Plan
from promotions.providers import PROVIDERS, UnknownProvider, get_provider
from promotions.providers.test import TestProvider
from promotions.services.payments import payment_create, webhook_apply

from .conftest import event_body, send

pytestmark = pytest.mark.django_db


def test_every_provider_the_settings_accept_is_known_to_the_registry() -> None:
    assert sorted(PROVIDERS) == sorted(settings.PAYMENT_PROVIDER_CODES)
    assert isinstance(get_provider("test"), TestProvider)


def test_a_provider_must_be_known_and_enabled(settings: Any) -> None:
    with pytest.raises(UnknownProvider):
        get_provider("paypal")
    with pytest.raises(UnknownProvider):
        get_provider("freedompay")  # known, but not enabled here
    settings.PAYMENT_PROVIDERS = []
    with pytest.raises(UnknownProvider):
        get_provider("test")


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def succeeded(self, payment: Payment, *, actor: Any) -> None:
        self.calls.append(("succeeded", payment.pk))

    def failed(self, payment: Payment, *, actor: Any, expired: bool) -> None:
        self.calls.append(("expired" if expired else "failed", payment.pk))

    def refunded(self, payment: Payment, *, actor: Any) -> None:
        self.calls.append(("refunded", payment.pk))


@pytest.fixture
def subscription() -> Iterator[Recorder]:
    """Another purpose, recording its calls in place of the business app's subscriptions
    (put back afterwards)."""
    recorder = Recorder()
    real = purposes.get_purpose("subscription")
    purposes.register_purpose("subscription", recorder)
    yield recorder
    purposes.register_purpose("subscription", real.handler)


def test_another_purpose_plugs_into_the_same_webhook(subscription: Recorder) -> None:
    payment = payment_create(
        payer=UserFactory(),
        purpose="subscription",
        amount=Decimal("2500"),
        currency="KGS",
        provider=TestProvider(),
    )

    assert send(event_body(payment)).status_code == 200
    assert send(event_body(payment, "refunded")).status_code == 200

    assert subscription.calls == [("succeeded", payment.pk), ("refunded", payment.pk)]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert AuditEntry.objects.filter(target_id=str(payment.pk), action="payment.refunded")


def test_a_payment_for_an_unregistered_purpose_is_refused_before_it_exists() -> None:
    with pytest.raises(LookupError):
        payment_create(
            payer=UserFactory(),
            purpose="donation",
            amount=Decimal("1"),
            currency="KGS",
            provider=TestProvider(),
        )
    assert not Payment.objects.exists()


def test_the_data_migration_seeds_the_three_plans_once_in_the_payment_currency() -> None:
    Plan.objects.all().delete()
    seeding = importlib.import_module("promotions.migrations.0002_seed_plans")

    seeding.seed(apps, None)
    Plan.objects.filter(code="boost_3").update(price=Decimal("250"))
    seeding.seed(apps, None)

    plans = {plan.code: plan for plan in Plan.objects.all()}
    assert sorted(plans) == ["boost_3", "boost_30", "boost_7"]
    assert {plan.currency for plan in plans.values()} == {settings.PAYMENT_CURRENCY}
    assert plans["boost_3"].price == Decimal("250")  # staff's price is kept
    assert [plans[code].days for code in ("boost_3", "boost_7", "boost_30")] == [3, 7, 30]


def test_an_event_is_matched_to_its_providers_payment_only(subscription: Recorder) -> None:
    payment = payment_create(
        payer=UserFactory(),
        purpose="subscription",
        amount=Decimal("2500"),
        currency="KGS",
        provider=TestProvider(),
    )
    Payment.objects.filter(pk=payment.pk).update(provider="freedompay")
    from promotions.exceptions import PaymentNotFound
    from promotions.providers.test import parse_signed, sign

    body = event_body(payment)
    with pytest.raises(PaymentNotFound):
        webhook_apply(provider="test", event=parse_signed(body, sign(body)))
    assert subscription.calls == []
