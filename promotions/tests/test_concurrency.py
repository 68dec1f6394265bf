"""Replays and sweeps racing each other (PostgreSQL, real threads behind a barrier)."""

import itertools

import pytest

from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from promotions.models import PaymentEvent, Promotion, PromotionStatus
from promotions.services.promotions import promotions_expire
from tests.helpers import run_concurrently

from .conftest import active_listing, bought, event_body, paid, send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plans")]


def test_the_same_event_ten_times_at_once_applies_once() -> None:
    author = UserFactory()
    promotion = bought(author, active_listing(author))
    body = event_body(promotion.payment)

    responses = run_concurrently(10, lambda _i: send(body))

    assert [r.status_code for r in responses] == [200] * 10
    assert sorted(r.json()["duplicate"] for r in responses) == [False] + [True] * 9
    assert PaymentEvent.objects.count() == 1
    assert AuditEntry.objects.filter(action="payment.succeeded").count() == 1
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.ACTIVE


def test_ten_different_success_events_at_once_activate_once() -> None:
    author = UserFactory()
    promotion = bought(author, active_listing(author))

    responses = run_concurrently(10, lambda _i: send(event_body(promotion.payment)))

    assert [r.status_code for r in responses] == [200] * 10
    assert PaymentEvent.objects.count() == 10
    assert PaymentEvent.objects.filter(applied=True).count() == 1
    assert AuditEntry.objects.filter(action="promotion.active").count() == 1


def test_boosts_paid_at_once_for_one_listing_queue_one_after_another() -> None:
    author = UserFactory()
    listing = active_listing(author)
    promotions = [bought(author, listing, "boost_3") for _ in range(4)]

    run_concurrently(4, lambda i: send(event_body(promotions[i].payment)))

    periods = sorted(Promotion.objects.filter(listing=listing).values_list("starts_at", "ends_at"))
    assert all(after[0] == before[1] for before, after in itertools.pairwise(periods))
    listing.refresh_from_db()
    assert (listing.boost_started_at, listing.boosted_until) == (periods[0][0], periods[-1][1])


def test_two_expiry_runs_at_once_expire_each_promotion_once() -> None:
    author = UserFactory()
    promotions = [
        paid(author, active_listing(author, title=f"Listing number {i}")) for i in range(3)
    ]
    later = max(p.ends_at for p in promotions)

    results = run_concurrently(2, lambda _i: len(promotions_expire(now=later)))

    assert sum(results) == 3
    assert set(Promotion.objects.values_list("status", flat=True)) == {PromotionStatus.EXPIRED}
    assert AuditEntry.objects.filter(action="promotion.expired").count() == 3
