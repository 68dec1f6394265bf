"""Who sees and who changes a listing: 404, never 403, for everyone off its seller side."""

from typing import Any

import pytest

from accounts.tests.factories import UserFactory
from business.models import Membership
from listings.models import Listing
from listings.tests.conftest import add_image, client_for, create
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

STATUSES = ["draft", "pending_review", "rejected", "sold", "paused"]


def personal_listing(author: Any, status: str) -> str:
    listing_id = create(author).json()["id"]
    Listing.objects.filter(pk=listing_id).update(status=status, rejection_code="fraud_suspected")
    return str(listing_id)


@pytest.mark.parametrize("status", STATUSES)
def test_only_the_author_and_moderators_see_a_personal_listing_that_is_not_active(
    author: Any, stranger: Any, moderator: Any, status: str
) -> None:
    listing_id = personal_listing(author, status)
    url = f"/api/v1/listings/{listing_id}/"

    assert client_for(author).get(url).status_code == 200
    assert client_for(moderator).get(url).status_code == 200
    assert_error(client_for(stranger).get(url), 404, "not_found")
    assert_error(client_for().get(url), 404, "not_found")


def test_everyone_sees_an_active_listing_but_only_its_side_sees_why_it_was_rejected(
    author: Any, stranger: Any
) -> None:
    listing_id = personal_listing(author, "active")
    url = f"/api/v1/listings/{listing_id}/"

    assert client_for().get(url).json()["rejection_reason"] is None
    assert client_for(stranger).get(url).json()["rejection_reason"] is None
    assert client_for(author).get(url).json()["rejection_reason"]["code"] == "fraud_suspected"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"title": "Stolen title here"}),
        ("delete", "", None),
        ("post", "submit/", None),
        ("post", "mark-sold/", None),
    ],
)
@pytest.mark.parametrize("listing_status", ["draft", "active"])
def test_nobody_off_the_seller_side_may_change_it(
    author: Any,
    stranger: Any,
    moderator: Any,
    method: str,
    suffix: str,
    body: Any,
    listing_status: str,
) -> None:
    listing_id = personal_listing(author, listing_status)
    add_image(listing_id)
    before = Listing.objects.values().get(pk=listing_id)
    url = f"/api/v1/listings/{listing_id}/{suffix}"

    for intruder in (stranger, moderator):
        response = getattr(client_for(intruder), method)(url, body, format="json")
        assert_error(response, 404, "not_found")
    response = getattr(client_for(), method)(url, body, format="json")
    assert_error(response, 401, "not_authenticated")
    assert Listing.objects.values().get(pk=listing_id) == before


@pytest.mark.parametrize("status", STATUSES)
def test_the_business_team_sees_and_manages_the_business_listings(
    dealer: Any, dealer_admin: Any, dealer_seller: Any, stranger: Any, status: str
) -> None:
    listing_id = create(dealer_seller, business_id=str(dealer.pk)).json()["id"]
    Listing.objects.filter(pk=listing_id).update(status=status)
    url = f"/api/v1/listings/{listing_id}/"

    assert client_for(dealer_admin).get(url).status_code == 200
    assert client_for(dealer_seller).get(url).status_code == 200
    assert_error(client_for(stranger).get(url), 404, "not_found")
    mine = client_for(dealer_admin).get("/api/v1/me/listings/").json()["results"]
    assert [item["id"] for item in mine] == [listing_id]


def test_an_author_who_left_the_business_loses_its_listings(
    dealer: Any, dealer_seller: Any
) -> None:
    listing_id = create(dealer_seller, business_id=str(dealer.pk)).json()["id"]
    Membership.objects.filter(user=dealer_seller).delete()

    assert_error(client_for(dealer_seller).get(f"/api/v1/listings/{listing_id}/"), 404, "not_found")
    response = client_for(dealer_seller).delete(f"/api/v1/listings/{listing_id}/")
    assert_error(response, 404, "not_found")


def test_a_business_listing_shows_the_business_as_seller(dealer: Any, dealer_seller: Any) -> None:
    body = create(dealer_seller, business_id=str(dealer.pk)).json()

    assert body["seller"]["is_business"] is True
    assert body["seller"]["business"] == {
        "id": str(dealer.pk),
        "name": "Bishkek Motors",
        "logo_url": None,
        "verified": False,
    }


def test_archived_listings_are_shown_to_nobody_but_moderators(author: Any, moderator: Any) -> None:
    listing_id = personal_listing(author, "archived")
    url = f"/api/v1/listings/{listing_id}/"

    assert_error(client_for(author).get(url), 404, "not_found")
    assert client_for(moderator).get(url).status_code == 200


def test_malformed_ids_are_404(author: Any) -> None:
    assert_error(client_for(author).get("/api/v1/listings/not-a-uuid/"), 404, "not_found")


def test_the_detail_costs_the_same_queries_however_many_media_and_favorites(
    author: Any, django_assert_num_queries: Any
) -> None:
    listing_id = personal_listing(author, "active")
    add_image(listing_id)
    client = client_for(UserFactory())
    client.get(f"/api/v1/listings/{listing_id}/")  # the day's first read also counts the view
    with django_assert_num_queries(2):  # the listing (with its favorite flag), its media
        client.get(f"/api/v1/listings/{listing_id}/")
    for _ in range(5):
        add_image(listing_id)
    for fan in UserFactory.create_batch(5):
        client_for(fan).post(f"/api/v1/listings/{listing_id}/favorite/")

    with django_assert_num_queries(2):
        response = client.get(f"/api/v1/listings/{listing_id}/")

    assert len(response.json()["media"]) == 6
    assert response.json()["favorites_count"] == 5
