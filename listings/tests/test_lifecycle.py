"""The state machine: the allowed moves, and every other one refused."""

from itertools import product
from typing import Any

import pytest
from django.utils import timezone

from listings.exceptions import InvalidTransition
from listings.lifecycle import TRANSITIONS, can_move
from listings.models import Listing, Status
from listings.services.listings import listing_approve, listing_reject
from listings.tests.conftest import create

ALLOWED = {
    ("draft", "pending_review"),
    ("rejected", "pending_review"),
    ("active", "pending_review"),
    ("pending_review", "active"),
    ("pending_review", "paused"),
    ("pending_review", "rejected"),
    ("active", "rejected"),
    ("active", "sold"),
    ("active", "paused"),
    ("paused", "active"),
    ("paused", "pending_review"),
} | {(status, "archived") for status in Status.values if status != "archived"}


@pytest.mark.parametrize(("current", "target"), list(product(Status.values, Status.values)))
def test_only_the_listed_moves_are_allowed(current: str, target: str) -> None:
    assert can_move(current, target) == ((current, target) in ALLOWED)


def test_every_move_has_a_name_for_the_audit_log() -> None:
    assert set(TRANSITIONS) == ALLOWED
    assert all(TRANSITIONS.values())


@pytest.mark.django_db
def test_approval_publishes_once_and_keeps_the_first_date(author: Any) -> None:
    listing = Listing.objects.get(pk=create(author).json()["id"])
    Listing.objects.filter(pk=listing.pk).update(status="pending_review")

    first = listing_approve(listing=listing, actor=None)
    Listing.objects.filter(pk=listing.pk).update(status="pending_review")
    second = listing_approve(listing=listing, actor=None)

    assert first.published_at is not None
    assert second.published_at == first.published_at
    assert second.published_at <= timezone.now()


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["draft", "sold", "paused", "rejected", "archived"])
def test_approval_and_rejection_refuse_other_statuses(author: Any, status: str) -> None:
    listing = Listing.objects.get(pk=create(author).json()["id"])
    Listing.objects.filter(pk=listing.pk).update(status=status)

    with pytest.raises(InvalidTransition):
        listing_approve(listing=listing, actor=None)
    if status != "active":
        with pytest.raises(InvalidTransition):
            listing_reject(listing=listing, actor=None, code="fraud_suspected")
    assert Listing.objects.get(pk=listing.pk).status == status


@pytest.mark.django_db
def test_rejection_records_the_reason(author: Any) -> None:
    listing = Listing.objects.get(pk=create(author).json()["id"])
    Listing.objects.filter(pk=listing.pk).update(status="pending_review")

    rejected = listing_reject(listing=listing, actor=None, code="bad_media", note="Blurry")

    assert (rejected.status, rejected.rejection_code, rejected.rejection_note) == (
        "rejected",
        "bad_media",
        "Blurry",
    )
