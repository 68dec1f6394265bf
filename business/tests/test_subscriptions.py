"""The subscription's life without payments: trial, lapse, grace, cancellation with paused
listings, the listing cap that follows the status, and the sweep task."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEntry, Device
from business.models import Business
from business.services.subscriptions import (
    CANCELED_TITLE,
    PAST_DUE_TITLE,
    add_months,
    subscriptions_lapse,
)
from business.tasks import lapse_subscriptions_task
from business.tests.conftest import client_for, url
from listings.models import Listing
from listings.tests.conftest import create
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def published(business: Business, author: Any, count: int) -> list[Listing]:
    """`count` active listings of the business, published a minute apart, oldest first."""
    start = timezone.now() - timedelta(days=1)
    listings = []
    for index in range(count):
        response = create(author, business_id=str(business.pk), title=f"Listing number {index}")
        assert response.status_code == 201, response.content
        Listing.objects.filter(pk=response.json()["id"]).update(
            status="active", published_at=start + timedelta(minutes=index)
        )
        listings.append(Listing.objects.get(pk=response.json()["id"]))
    return listings


def test_an_ended_trial_turns_past_due_and_admins_are_told(
    business: Business,
    owner: Any,
    seller: Any,
    django_capture_on_commit_callbacks: Any,
    pushed: Any,
) -> None:
    for member, token in ((owner, "owner0001"), (seller, "seller0001")):
        Device.objects.create(
            user=member, expo_push_token=f"ExponentPushToken[{token}]", platform="ios"
        )
    assert business.current_period_end is not None
    later = business.current_period_end + timedelta(seconds=1)

    assert subscriptions_lapse(now=business.current_period_end - timedelta(seconds=1)).past_due == 0
    with django_capture_on_commit_callbacks(execute=True):
        lapsed = subscriptions_lapse(now=later)

    assert (lapsed.past_due, lapsed.canceled) == (1, 0)
    business.refresh_from_db()
    assert business.subscription_status == "past_due"
    assert business.past_due_since == later
    assert [m.title for m in pushed] == [str(PAST_DUE_TITLE)]
    assert pushed[0].token == "ExponentPushToken[owner0001]"
    assert AuditEntry.objects.filter(action="business.subscription_past_due").exists()


def test_after_the_grace_period_it_is_canceled_keeping_the_oldest_five_active(
    business: Business,
    owner: Any,
    seller: Any,
    django_capture_on_commit_callbacks: Any,
    pushed: Any,
) -> None:
    Device.objects.create(
        user=seller, expo_push_token="ExponentPushToken[seller0002]", platform="ios"
    )
    listings = published(business, seller, 7)
    draft = create(seller, business_id=str(business.pk)).json()["id"]
    assert business.current_period_end is not None
    lapsed_at = business.current_period_end + timedelta(minutes=1)
    subscriptions_lapse(now=lapsed_at)
    grace = timedelta(days=settings.BUSINESS_GRACE_PERIOD_DAYS)

    assert subscriptions_lapse(now=lapsed_at + grace - timedelta(minutes=1)).canceled == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriptions_lapse(now=lapsed_at + grace).canceled == 1

    business.refresh_from_db()
    assert business.subscription_status == "canceled"
    statuses = [Listing.objects.get(pk=listing.pk).status for listing in listings]
    assert statuses == ["active"] * 5 + ["paused"] * 2
    assert Listing.objects.get(pk=draft).status == "draft"
    assert [m.title for m in pushed] == [str(CANCELED_TITLE)]
    assert AuditEntry.objects.filter(action="listing.paused").count() == 2
    public = client_for().get(url(business)).json()
    assert public["active_listings_count"] == 5
    # Nothing is deleted, and a second run changes nothing.
    assert subscriptions_lapse(now=lapsed_at + grace * 2) == subscriptions_lapse(now=lapsed_at)
    assert Listing.objects.filter(business=business).count() == 8


def test_the_cap_is_lifted_during_the_trial_and_back_once_canceled(
    business: Business, seller: Any
) -> None:
    published(business, seller, 6)
    assert create(seller, business_id=str(business.pk)).status_code == 201  # 7th, in trial
    assert business.current_period_end is not None
    lapsed_at = business.current_period_end + timedelta(minutes=1)
    subscriptions_lapse(now=lapsed_at)
    subscriptions_lapse(now=lapsed_at + timedelta(days=settings.BUSINESS_GRACE_PERIOD_DAYS))

    assert_error(create(seller, business_id=str(business.pk)), 403, "listing_limit_reached")


def test_a_past_due_business_is_capped_at_five_too(owner: Any) -> None:
    from business.tests.conftest import make_business

    make_business(owner)
    second = make_business(owner, name="Second business")
    assert second.subscription_status == "past_due"
    for _ in range(5):
        assert create(owner, business_id=str(second.pk)).status_code == 201

    assert_error(create(owner, business_id=str(second.pk)), 403, "listing_limit_reached")


def test_the_grace_period_is_a_setting(business: Business, settings: Any) -> None:
    settings.BUSINESS_GRACE_PERIOD_DAYS = 0
    assert business.current_period_end is not None

    lapsed = subscriptions_lapse(now=business.current_period_end)

    assert (lapsed.past_due, lapsed.canceled) == (1, 1)


def test_the_sweep_is_a_task_on_the_beat_schedule(business: Business) -> None:
    Business.objects.filter(pk=business.pk).update(current_period_end=timezone.now())

    assert lapse_subscriptions_task.delay().get() == {"past_due": 1, "canceled": 0}
    schedule = settings.CELERY_BEAT_SCHEDULE["business-lapse-subscriptions"]
    assert schedule["task"] == lapse_subscriptions_task.name


def test_a_month_later_is_the_same_day_or_the_months_last() -> None:
    jan_31 = timezone.make_aware(timezone.datetime(2027, 1, 31, 15, 0))

    assert add_months(jan_31, 1).date().isoformat() == "2027-02-28"
    assert add_months(jan_31, 12).date().isoformat() == "2028-01-31"
    assert add_months(jan_31, 1).hour == 15


def test_metrics_count_businesses_by_subscription_status(business: Business, client: Any) -> None:
    body = client.get("/metrics").content.decode()

    assert 'marketplace_businesses{status="trial"} 1.0' in body
    assert 'marketplace_businesses{status="canceled"} 0.0' in body
