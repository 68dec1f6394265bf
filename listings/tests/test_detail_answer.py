"""A listing's page is read as rows (`listing_get_for_reading`), its other answers from model
instances (`ListingDetailSerializer`): both roads give the same answer, whoever asks."""

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from accounts.models import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from business.models import Business
from business.tests.factories import MembershipFactory
from listings.models import Listing, ListingMedia
from listings.selectors import listing_get_for_viewer
from listings.serializers import ListingDetailSerializer
from listings.tests.conftest import add_image, client_for
from listings.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def _media(listing: Listing) -> None:
    add_image(listing.pk)
    ListingMedia.objects.create(
        listing=listing,
        kind="video",
        file=f"listings/{listing.pk}/clip.mov",
        poster=f"listings/{listing.pk}/poster.jpg",
        rendition=f"listings/{listing.pk}/clip.mp4",
        duration_s=Decimal("12.50"),
        processing="ready",
        position=1,
    )
    ListingMedia.objects.create(
        listing=listing,
        kind="panorama",
        file=f"listings/{listing.pk}/room 360.jpg",
        thumbnail=f"listings/{listing.pk}/room-small.jpg",
        position=2,
    )


def _by_instance(user: Any, listing: Listing, *, show_rejection: bool) -> Any:
    request = Request(RequestFactory().get("/"))
    instance = listing_get_for_viewer(user=user, listing_id=listing.pk)
    data = ListingDetailSerializer(
        instance, context={"request": request, "show_rejection": show_rejection}
    ).data
    return json.loads(json.dumps(data))


@pytest.mark.parametrize("category", ["car", "horse", "real_estate"])
def test_anyone_reads_an_active_listing_as_its_instance_answers(category: str) -> None:
    owner = UserFactory()
    business = Business.objects.create(
        name="Ош Авто", slug="osh-auto", verified=True, logo="logos/osh.png", created_by=owner
    )
    MembershipFactory(business=business, user=owner, role="admin")
    listing = ListingFactory(category=category, author=owner, business=business, image=False)
    Listing.objects.filter(pk=listing.pk).update(
        latitude=Decimal("42.874600"), longitude=Decimal("74.569800")
    )
    _media(listing)

    client = client_for()
    client.get(f"/api/v1/listings/{listing.pk}/")  # the day's first read also counts the view

    answer = client.get(f"/api/v1/listings/{listing.pk}/")

    assert answer.status_code == 200
    expected = _by_instance(None, listing, show_rejection=False)
    assert answer.json() == expected
    assert [item["kind"] for item in expected["media"]] == ["image", "video", "panorama"]
    assert expected["media"][1]["url"].endswith("/clip.mp4")
    assert expected["media"][1]["duration_s"] == 12.5
    assert expected["media"][2]["url"].endswith("/room%20360.jpg")
    assert expected["seller"]["business"]["logo_url"].endswith("/logos/osh.png")
    assert expected["location"] == {"lat": 42.8746, "lng": 74.5698}


@pytest.mark.parametrize("reader", ["author", "moderator", "stranger"])
def test_each_reader_of_a_rejected_listing_reads_what_its_instance_answers(reader: str) -> None:
    author, fan = UserFactory(), UserFactory()
    listing = ListingFactory(author=author)
    client_for(fan).post(f"/api/v1/listings/{listing.pk}/favorite/")
    Listing.objects.filter(pk=listing.pk).update(
        status="rejected", rejection_code="prohibited_item", rejection_note="Не продаётся."
    )
    readers = {"author": author, "moderator": UserFactory(), "stranger": fan}
    user = readers[reader]
    if reader == "moderator":
        user_set_role(user=user, role=Role.MODERATOR, actor=None)
    client_for(user).post(f"/api/v1/listings/{listing.pk}/favorite/")
    client_for(user).get(f"/api/v1/listings/{listing.pk}/")  # counts a moderator's view

    answer = client_for(user).get(f"/api/v1/listings/{listing.pk}/")

    if reader == "stranger":
        assert answer.status_code == 404
        return
    assert answer.status_code == 200
    assert answer.json() == _by_instance(user, listing, show_rejection=True)
    assert answer.json()["rejection_reason"] == {
        "code": "prohibited_item",
        "note": "Не продаётся.",
    }
    assert answer.json()["is_favorited"] is True


def test_an_anonymous_read_costs_two_statements(django_assert_num_queries: Any) -> None:
    listing = ListingFactory(image=False)
    _media(listing)
    client = client_for()
    client.get(f"/api/v1/listings/{listing.pk}/")  # the day's first read also counts the view

    with django_assert_num_queries(2):  # the listing, its media
        answer = client.get(f"/api/v1/listings/{listing.pk}/")

    assert len(answer.json()["media"]) == 3
