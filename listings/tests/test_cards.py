"""Cards: the same words wherever a listing appears as one, and a cover that follows its media."""

import importlib
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from business.tests.factories import BusinessFactory, MembershipFactory
from listings.models import Listing, ListingMedia
from listings.tests.conftest import CAR, ESTATE, HORSE, client_for
from listings.tests.factories import ListingFactory
from listings.tests.test_media_api import delete, move, picture, upload

pytestmark = pytest.mark.django_db


def activate(listing_id: Any) -> None:
    Listing.objects.filter(pk=listing_id).update(status="active", published_at=timezone.now())


def make(payload: dict[str, Any], author: Any, **changes: Any) -> Listing:
    return ListingFactory(category=payload["category"], author=author, **changes)


def card(listing_id: Any, user: Any = None) -> dict[str, Any]:
    results = client_for(user).get("/api/v1/listings/feed/").json()["results"]
    (found,) = [c for c in results if c["id"] == str(listing_id)]
    return found  # type: ignore[no-any-return]


@pytest.mark.parametrize("payload", [CAR, HORSE, ESTATE], ids=["car", "horse", "estate"])
def test_a_card_reads_the_same_in_the_feed_search_and_favorites(payload: dict[str, Any]) -> None:
    author = UserFactory()
    User.objects.filter(pk=author.pk).update(avatar="avatars/face.webp")
    dealer = BusinessFactory(
        name="Ош Авто", slug="osh-auto", verified=True, logo="logos/osh-auto.webp"
    )
    MembershipFactory(business=dealer, user=author, role="admin")
    listing = make(payload, author, business_id=str(dealer.pk))
    Listing.objects.filter(pk=listing.pk).update(business=dealer)
    viewer = UserFactory()
    client = client_for(viewer)
    assert client.post(f"/api/v1/listings/{listing.pk}/favorite/").status_code in (200, 201, 204)

    in_feed = card(listing.pk, viewer)
    (in_search,) = client.get("/api/v1/listings/").json()["results"]
    (in_favorites,) = client.get("/api/v1/me/favorites/").json()["results"]
    detail = client.get(f"/api/v1/listings/{listing.pk}/").json()

    assert in_feed == in_search == in_favorites
    assert in_feed["is_favorited"] is True
    assert in_feed["seller"] == detail["seller"]
    assert in_feed["seller"]["avatar_url"] == "http://testserver/media/avatars/face.webp"
    assert in_feed["seller"]["business"]["name"] == "Ош Авто"
    assert (
        in_feed["seller"]["business"]["logo_url"] == "http://testserver/media/logos/osh-auto.webp"
    )
    for field in ("price", "prices", "published_at", "views_count", "is_boosted"):
        assert in_feed[field] == detail[field], field
    assert in_feed["cover"] == {"image_url": detail["media"][0]["url"]}


def test_an_anonymous_card_is_not_favorited_and_has_no_business() -> None:
    listing = make(CAR, UserFactory())

    shown = card(listing.pk)

    assert shown["is_favorited"] is False
    assert shown["seller"]["is_business"] is False
    assert "business" not in shown["seller"]
    assert shown["seller"]["avatar_url"] is None


def test_the_cover_follows_photos_as_they_are_added_moved_and_deleted(author: Any) -> None:
    listing = make(CAR, author)
    first = ListingMedia.objects.get(listing=listing)
    second = upload(author, listing.pk, picture()).json()
    activate(listing.pk)  # a media change sent it back to review
    assert card(listing.pk)["cover"]["image_url"].endswith(first.file.name)

    assert move(author, listing.pk, second["id"], 0).status_code == 200
    activate(listing.pk)
    assert card(listing.pk)["cover"] == {"image_url": second["url"]}

    assert delete(author, listing.pk, second["id"]).status_code == 204
    activate(listing.pk)
    assert card(listing.pk)["cover"]["image_url"].endswith(first.file.name)

    assert delete(author, listing.pk, first.pk).status_code == 204
    activate(listing.pk)
    assert card(listing.pk)["cover"] == {}


def test_the_migration_copies_covers_of_existing_media(author: Any) -> None:
    listing = make(CAR, author)
    video = ListingMedia.objects.create(
        listing=listing, kind="video", file="listings/v.mov", rendition="listings/v.mp4",
        poster="listings/v.jpg", position=1,
    )  # fmt: skip
    Listing.objects.filter(pk=listing.pk).update(cover_video="", cover_poster="", cover_image="")
    migration = importlib.import_module("listings.migrations.0010_card_cover")

    with connection.cursor() as cursor:
        cursor.execute(migration.COPY_COVERS)

    listing.refresh_from_db()
    assert listing.cover_video == video.rendition.name
    assert listing.cover_poster == video.poster.name
    assert listing.cover_image == ListingMedia.objects.get(listing=listing, kind="image").file.name
