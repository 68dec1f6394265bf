"""The seller side read as a UNION (`seller_side_ids`): the same listings for every kind of
user as the one-listing condition (`seller_side_q`), and plans PostgreSQL answers from indexes
rather than by reading the whole table."""

from typing import Any

import pytest

from accounts.tests.factories import UserFactory
from business.models import Business, Membership
from business.tests.factories import MembershipFactory
from listings.models import Listing, Status
from listings.permissions import (
    listings_editable_by,
    listings_visible_to,
    seller_side_ids,
    seller_side_q,
)
from listings.selectors import listings_of_user, with_card_data
from listings.tests.conftest import create
from tests.plans import crowd, whole_reads

pytestmark = pytest.mark.django_db


def in_every_status(user: Any, **changes: Any) -> dict[str, str]:
    """One listing of `user` in each status (each set before the next create, so the quota
    never counts more than three)."""
    ids = {}
    for status in reversed(Status.values):
        response = create(user, **changes)
        assert response.status_code == 201, response.content
        ids[status] = response.json()["id"]
        Listing.objects.filter(pk=ids[status]).update(status=status)
    return ids


def ids_of(listings: Any) -> set[str]:
    return {str(pk) for pk in listings.values_list("pk", flat=True)}


def without_archived(ids: dict[str, str]) -> set[str]:
    return {pk for status, pk in ids.items() if status != Status.ARCHIVED}


@pytest.fixture
def world(
    author: Any, dealer: Business, dealer_admin: Any, dealer_seller: Any, stranger: Any
) -> dict[str, Any]:
    """Given a private seller, a dealer's admin and seller, an ex-member of the dealer who
    wrote listings for it and has their own, and a stranger, each with listings in every status."""
    former = UserFactory()
    MembershipFactory(business=dealer, user=former, role="seller")
    business = str(dealer.pk)
    world = {
        "author": author,
        "admin": dealer_admin,
        "seller": dealer_seller,
        "former": former,
        "stranger": stranger,
        "personal": in_every_status(author),
        "dealer": in_every_status(dealer_seller, business_id=business),
        "by_former": in_every_status(former, business_id=business),
        "former_own": in_every_status(former),
        "stranger_own": in_every_status(stranger),
    }
    Membership.objects.filter(business=dealer, user=former).delete()
    return world


def test_the_union_finds_what_the_condition_admits_for_everyone(world: dict[str, Any]) -> None:
    for who in ("author", "admin", "seller", "former", "stranger"):
        user = world[who]

        by_union = ids_of(Listing.objects.filter(pk__in=seller_side_ids(user)))
        by_condition = ids_of(Listing.objects.filter(seller_side_q(user)))

        assert by_union == by_condition, who


def test_each_sees_and_edits_his_seller_side_but_archived(world: dict[str, Any]) -> None:
    owners = ("personal", "dealer", "by_former", "former_own", "stranger_own")
    active = {world[key][Status.ACTIVE] for key in owners}
    business = without_archived(world["dealer"]) | without_archived(world["by_former"])
    expected = {
        "author": without_archived(world["personal"]),
        # The team keeps what a member who left wrote for the business.
        "admin": business,
        "seller": business,
        # The one who left keeps their own listings and loses the business's, even those they wrote.
        "former": without_archived(world["former_own"]),
        "stranger": without_archived(world["stranger_own"]),
    }
    for who, own in expected.items():
        user = world[who]

        assert ids_of(listings_editable_by(user)) == own, who
        assert ids_of(listings_visible_to(user)) == own | active, who


def test_the_seller_side_of_an_outsider_is_empty(world: dict[str, Any]) -> None:
    nobody = UserFactory()

    assert ids_of(listings_editable_by(nobody)) == set()
    assert ids_of(listings_visible_to(nobody).exclude(status=Status.ACTIVE)) == set()


def test_ones_own_listing_and_ones_listings_are_read_through_indexes(
    world: dict[str, Any],
) -> None:
    crowd()
    for who, key in (("author", "personal"), ("admin", "dealer")):
        user = world[who]
        draft = world[key][Status.DRAFT]

        # listing_get_for_viewer's query: the re-read after create and submit.
        detail = with_card_data(listings_visible_to(user), user=user).filter(pk=draft)
        mine = listings_of_user(user=user)

        assert whole_reads(detail) == [], who
        assert whole_reads(mine) == [], who
