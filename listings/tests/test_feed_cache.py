"""The first page of the feed and of a search, shared by every caller for FEED_CACHE_SECONDS.

Computed once as an anonymous caller sees it, keyed by the whole URL with its host; a signed-in
caller gets the same cards with their own favourites laid over them; pages after the first are
never shared. The test settings turn the cache off; these tests turn it on.
"""

import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from listings.models import Favorite
from listings.tests.factories import ListingFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

FEED = "/api/v1/listings/feed/"
SEARCH = "/api/v1/listings/"


@pytest.fixture(autouse=True)
def shared_for(settings: Any) -> int:
    settings.FEED_CACHE_SECONDS = 2
    return 2


def cards(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


@pytest.mark.parametrize("path", [FEED, f"{SEARCH}?category=car"])
def test_a_first_page_is_computed_once_for_every_anonymous_caller(path: str) -> None:
    ListingFactory.create_batch(3)

    first = client_for().get(path)
    with CaptureQueriesContext(connection) as queries:
        again = APIClient().get(path)

    assert again.json() == first.json()
    assert len(cards(first)) == 3
    assert len(queries) == 0


def test_a_signed_in_caller_gets_the_shared_cards_with_their_own_favourites() -> None:
    liked, other = ListingFactory.create_batch(2)
    fan, stranger = UserFactory.create_batch(2)
    Favorite.objects.create(user=fan, listing=liked)
    client_for().get(FEED)  # shared by the anonymous caller first

    with CaptureQueriesContext(connection) as queries:
        for_fan = {c["id"]: c["is_favorited"] for c in cards(client_for(fan).get(FEED))}
    statements = len(queries)  # read now: each request empties the connection's query log
    for_stranger = {c["id"]: c["is_favorited"] for c in cards(client_for(stranger).get(FEED))}
    for_anyone = {c["id"]: c["is_favorited"] for c in cards(client_for().get(FEED))}

    assert for_fan == {str(liked.pk): True, str(other.pk): False}
    assert statements == 1  # the caller's favourites among the page's cards
    assert not any(for_stranger.values())
    assert not any(for_anyone.values())  # laid over a copy: the shared page stays anonymous


def test_a_signed_in_caller_fills_the_shared_page_as_an_anonymous_one_would() -> None:
    liked = ListingFactory()
    fan = UserFactory()
    Favorite.objects.create(user=fan, listing=liked)

    assert cards(client_for(fan).get(FEED))[0]["is_favorited"] is True
    assert cards(client_for().get(FEED))[0]["is_favorited"] is False


def test_a_sellers_change_shows_once_the_moment_has_passed(settings: Any) -> None:
    settings.FEED_CACHE_SECONDS = 1
    seller = UserFactory()
    listing = ListingFactory(author=seller)
    assert [c["id"] for c in cards(client_for().get(FEED))] == [str(listing.pk)]

    assert client_for(seller).delete(f"/api/v1/listings/{listing.pk}/").status_code == 204
    within = cards(client_for().get(FEED))
    time.sleep(1.1)
    after = cards(client_for().get(FEED))

    assert [c["id"] for c in within] == [str(listing.pk)]  # at most the cache's lifetime
    assert after == []


def test_pages_after_the_first_are_never_shared() -> None:
    ListingFactory.create_batch(3)
    first = client_for().get(FEED, {"page_size": 2})
    following = first.json()["next"]

    client_for().get(following)
    with CaptureQueriesContext(connection) as queries:
        client_for().get(following)

    assert len(queries) > 0


def test_each_url_and_host_has_its_own_shared_page() -> None:
    ListingFactory.create_batch(2, category="car")
    ListingFactory(category="horse")

    horses = cards(client_for().get(FEED, {"category": "horse"}))
    everything = cards(client_for().get(FEED))
    from_a = client_for().get(FEED, {"page_size": 1}, HTTP_HOST="localhost").json()["next"]
    from_b = client_for().get(FEED, {"page_size": 1}, HTTP_HOST="127.0.0.1").json()["next"]

    assert len(horses) == 1
    assert len(everything) == 3
    # A link made for one host is never served to a caller of another.
    assert from_a.startswith("http://localhost/")
    assert from_b.startswith("http://127.0.0.1/")


def test_with_redis_down_the_page_is_shared_in_the_process(settings: Any) -> None:
    ListingFactory()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    first = client_for().get(FEED)
    with CaptureQueriesContext(connection) as queries:
        again = client_for().get(FEED)

    assert again.json() == first.json()
    assert len(cards(first)) == 1
    assert len(queries) == 0
