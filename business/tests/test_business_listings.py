"""`GET /business/{id}/listings/`: active cards for anyone, every status for its members; and
`/me/listings/` with the listings of the caller's businesses."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from business.models import Business
from business.tests.conftest import client_for, join, url
from listings.models import Listing
from listings.tests.conftest import create
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def listing(business: Business, author: Any, status: str = "active", **changes: Any) -> str:
    response = create(author, business_id=str(business.pk), **changes)
    assert response.status_code == 201, response.content
    Listing.objects.filter(pk=response.json()["id"]).update(
        status=status, published_at=timezone.now() if status == "active" else None
    )
    return str(response.json()["id"])


def test_anyone_sees_the_active_cards_members_every_status_but_archived(
    business: Business, owner: Any, seller: Any, outsider: Any
) -> None:
    active = listing(business, seller)
    draft = listing(business, seller, "draft")
    paused = listing(business, owner, "paused")
    listing(business, owner, "archived")

    for viewer in (None, outsider):
        body = client_for(viewer).get(url(business, "listings/")).json()
        assert [card["id"] for card in body["results"]] == [active]
        assert body["results"][0]["status"] == "active"
        assert body["results"][0]["seller"]["business"]["id"] == str(business.pk)
    for member in (owner, seller):
        cards = client_for(member).get(url(business, "listings/")).json()["results"]
        assert [(card["id"], card["status"]) for card in cards] == [
            (paused, "paused"),
            (draft, "draft"),
            (active, "active"),
        ]


def test_a_member_of_another_business_sees_only_active_cards(
    business: Business, other_business: Business, seller: Any
) -> None:
    active = listing(business, seller)
    listing(business, seller, "draft")
    elsewhere = join(other_business, "admin")

    cards = client_for(elsewhere).get(url(business, "listings/")).json()["results"]

    assert [card["id"] for card in cards] == [active]


def test_the_listings_of_an_unknown_business_are_404() -> None:
    response = client_for().get("/api/v1/business/5f0c6c1e-6d7b-4e8a-9d7e-0c6f3b9a1a11/listings/")

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("page_size", [1, 50])
def test_a_page_costs_the_same_whatever_its_size(
    business: Business, seller: Any, page_size: int, django_assert_num_queries: Any
) -> None:
    for _ in range(3):
        listing(business, seller)
    client = client_for(seller)

    # The business, then the page of card rows (favorites and visibility in the same query).
    with django_assert_num_queries(2):
        body = client.get(url(business, f"listings/?page_size={page_size}")).json()

    assert len(body["results"]) == min(page_size, 3)


def test_pages_follow_the_cursor_without_repeats(business: Business, seller: Any) -> None:
    ids = {listing(business, seller) for _ in range(3)}
    Listing.objects.filter(business=business).update(created_at=timezone.now() - timedelta(hours=1))

    first = client_for().get(url(business, "listings/?page_size=2")).json()
    second = client_for().get(first["next"]).json()

    seen = [card["id"] for card in first["results"] + second["results"]]
    assert sorted(seen) == sorted(ids)
    assert second["next"] is None


def test_my_listings_include_the_listings_of_my_businesses(
    business: Business, owner: Any, seller: Any
) -> None:
    theirs = listing(business, seller, "draft")
    mine = create(owner).json()["id"]

    results = client_for(owner).get("/api/v1/me/listings/").json()["results"]
    only_business = client_for(owner).get(f"/api/v1/me/listings/?business={business.pk}").json()

    assert {item["id"] for item in results} == {theirs, mine}
    assert [item["id"] for item in only_business["results"]] == [theirs]
