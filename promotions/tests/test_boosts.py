"""Boosts: stacking, refunds, expiry, and the feed staying correct through them."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from listings.models import Listing
from listings.services.listings import listing_mark_sold
from promotions.models import Payment, PaymentStatus, Promotion, PromotionStatus
from promotions.services.payments import payment_mark_refunded
from promotions.services.promotions import promotions_expire
from promotions.tasks import expire_promotions_task, expire_unpaid_payments_task

from .conftest import active_listing, bought, client_for, paid, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plans")]


def boost_of(listing: Listing) -> tuple[Any, Any]:
    listing.refresh_from_db()
    return listing.boost_started_at, listing.boosted_until


def feed_ids(**params: Any) -> list[str]:
    return [
        card["id"] for card in client_for().get("/api/v1/listings/feed/", params).json()["results"]
    ]


def test_a_second_boost_starts_where_the_first_ends(author: Any) -> None:
    listing = active_listing(author)
    first = paid(author, listing, "boost_3")

    second = paid(author, listing, "boost_7")

    assert second.starts_at == first.ends_at
    assert second.ends_at == first.ends_at + timedelta(days=7)
    assert boost_of(listing) == (first.starts_at, second.ends_at)


def test_a_boost_bought_after_the_last_one_ended_starts_now(author: Any) -> None:
    listing = active_listing(author)
    first = paid(author, listing, "boost_3")
    promotions_expire(now=first.ends_at)
    Promotion.objects.filter(pk=first.pk).update(
        starts_at=first.starts_at - timedelta(days=10), ends_at=first.ends_at - timedelta(days=10)
    )
    Listing.objects.filter(pk=listing.pk).update(
        boost_started_at=first.starts_at - timedelta(days=10),
        boosted_until=first.ends_at - timedelta(days=10),
    )

    second = paid(author, listing, "boost_7")

    assert abs(second.starts_at - timezone.now()) < timedelta(seconds=30)
    assert boost_of(listing) == (second.starts_at, second.ends_at)


def test_a_refund_ends_the_boost_now(author: Any) -> None:
    listing = active_listing(author)
    promotion = paid(author, listing)

    pay(promotion, "refunded")

    assert promotion.payment.status == PaymentStatus.REFUNDED
    assert promotion.status == PromotionStatus.REFUNDED
    started, until = boost_of(listing)
    assert started == promotion.starts_at
    assert until is not None
    assert until <= timezone.now()
    assert client_for().get(f"/api/v1/listings/{listing.pk}/").json()["is_boosted"] is False
    assert AuditEntry.objects.filter(action="promotion.refunded", target_id=str(promotion.pk))


def test_refunding_the_running_boost_moves_the_next_one_up(author: Any) -> None:
    listing = active_listing(author)
    running = paid(author, listing, "boost_3")
    queued = paid(author, listing, "boost_7")

    pay(running, "refunded")

    queued.refresh_from_db()
    assert abs(queued.starts_at - timezone.now()) < timedelta(seconds=30)
    assert queued.ends_at - queued.starts_at == timedelta(days=7)
    # Boosted without a break: the run keeps its start.
    assert boost_of(listing) == (running.starts_at, queued.ends_at)
    assert AuditEntry.objects.filter(action="promotion.rescheduled", target_id=str(queued.pk))


def test_refunding_a_queued_boost_shortens_the_run(author: Any) -> None:
    listing = active_listing(author)
    running = paid(author, listing, "boost_3")
    queued = paid(author, listing, "boost_7")

    pay(queued, "refunded")

    running.refresh_from_db()
    assert running.status == PromotionStatus.ACTIVE
    assert boost_of(listing) == (running.starts_at, running.ends_at)


def test_expiry_switches_ended_promotions_once(
    author: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing = active_listing(author)
    promotion = paid(author, listing, "boost_3")
    later = promotion.ends_at + timedelta(seconds=1)

    assert promotions_expire(now=promotion.ends_at - timedelta(seconds=1)) == []
    with django_capture_on_commit_callbacks(execute=True):
        first = promotions_expire(now=later)
    second = promotions_expire(now=later)

    assert [p.pk for p in first] == [promotion.pk]
    assert second == []
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.EXPIRED
    assert AuditEntry.objects.filter(action="promotion.expired").count() == 1
    assert boost_of(listing) == (promotion.starts_at, promotion.ends_at)


def test_expiry_keeps_a_queued_boost_running(author: Any) -> None:
    listing = active_listing(author)
    first = paid(author, listing, "boost_3")
    second = paid(author, listing, "boost_7")

    promotions_expire(now=first.ends_at)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (PromotionStatus.EXPIRED, PromotionStatus.ACTIVE)
    assert boost_of(listing) == (first.starts_at, second.ends_at)


def test_a_listing_that_leaves_active_keeps_its_paid_days(author: Any) -> None:
    listing = active_listing(author)
    promotion = paid(author, listing)

    listing_mark_sold(listing=listing, actor=author)

    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.ACTIVE
    assert boost_of(listing)[1] == promotion.ends_at
    assert str(listing.pk) not in feed_ids()  # the feed shows active listings only
    assert [p.pk for p in promotions_expire(now=promotion.ends_at)] == [promotion.pk]


def test_the_feed_never_puts_an_ended_boost_first(author: Any) -> None:
    boosted = active_listing(author, title="Boosted once, long ago")
    newer = active_listing(author, title="Newer and never boosted")
    promotion = paid(author, boosted)
    assert feed_ids()[0] == str(boosted.pk)

    # The paid days ran out a minute ago and the periodic task has not run yet.
    past = timezone.now() - timedelta(minutes=1)
    Promotion.objects.filter(pk=promotion.pk).update(
        starts_at=past - timedelta(days=7), ends_at=past
    )
    Listing.objects.filter(pk=boosted.pk).update(
        boost_started_at=past - timedelta(days=7), boosted_until=past
    )

    assert feed_ids() == [str(newer.pk), str(boosted.pk)]
    assert client_for().get(f"/api/v1/listings/{boosted.pk}/").json()["is_boosted"] is False


def test_a_scroll_begun_before_a_refund_shows_every_card_once(author: Any) -> None:
    listings = [active_listing(author, title=f"Listing number {i}") for i in range(3)]
    promotion = paid(author, listings[0])
    client = client_for()
    page = client.get("/api/v1/listings/feed/", {"page_size": 1}).json()
    seen = [card["id"] for card in page["results"]]

    pay(promotion, "refunded")
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [card["id"] for card in page["results"]]

    assert seen[0] == str(listings[0].pk)
    assert sorted(seen) == sorted(str(listing.pk) for listing in listings)


def test_a_staff_refund_goes_through_the_same_service(author: Any, moderator: Any) -> None:
    listing = active_listing(author)
    promotion = paid(author, listing)

    assert payment_mark_refunded(payment=promotion.payment, actor=moderator) is True
    assert payment_mark_refunded(payment=promotion.payment, actor=moderator) is False

    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.REFUNDED
    entry = AuditEntry.objects.get(action="payment.refunded")
    assert entry.actor_id == moderator.pk


def test_an_unpaid_payment_expires_after_30_minutes_and_cancels_its_promotion(
    author: Any,
) -> None:
    promotion = bought(author, active_listing(author))
    payment = promotion.payment

    assert expire_unpaid_payments_task.delay().get() == 0  # not yet: 30 minutes to pay
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_unpaid_payments_task.delay().get() == 1
    assert expire_unpaid_payments_task.delay().get() == 0

    payment.refresh_from_db()
    promotion.refresh_from_db()
    assert (payment.status, promotion.status) == (PaymentStatus.EXPIRED, PromotionStatus.CANCELED)
    assert client_for(author).get(f"/api/v1/payments/{payment.pk}/").json()["status"] == "expired"
    assert AuditEntry.objects.filter(action="payment.expired", target_id=str(payment.pk))


def test_the_sweeps_are_scheduled_every_minute(settings: Any) -> None:
    from marketplace.celery import app

    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    for name in ("promotions.expire_promotions", "promotions.expire_unpaid_payments"):
        assert schedule[name] == timedelta(minutes=1)
        assert name in app.tasks
    assert expire_promotions_task.delay().get() == 0
