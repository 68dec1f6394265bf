"""Favorites, phone reveals, reports and view counting."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from accounts import ratelimit
from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from business.models import Business
from listings.models import Favorite, Listing, Report
from listings.services import engagement
from listings.services.engagement import listing_count_view
from listings.tests.conftest import client_for, create
from listings.views.engagement import count_listing_view
from tests.helpers import assert_error, run_concurrently

pytestmark = pytest.mark.django_db

BISHKEK = ZoneInfo("Asia/Bishkek")


def active_listing(user: Any, **changes: Any) -> str:
    response = create(user, **changes)
    assert response.status_code == 201, response.content
    listing_id = response.json()["id"]
    Listing.objects.filter(pk=listing_id).update(status="active", published_at=timezone.now())
    return str(listing_id)


def draft_listing(user: Any, **changes: Any) -> str:
    return str(create(user, **changes).json()["id"])


def counts(listing_id: str) -> dict[str, int]:
    return Listing.objects.values("views_count", "favorites_count", "phone_reveals_count").get(
        pk=listing_id
    )


def favorite_url(listing_id: str) -> str:
    return f"/api/v1/listings/{listing_id}/favorite/"


# --- Who may call at all ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("post", "favorite/"),
        ("delete", "favorite/"),
        ("post", "phone/"),
        ("post", "report/"),
    ],
)
def test_anonymous_callers_must_log_in(author: Any, method: str, suffix: str) -> None:
    listing_id = active_listing(author)

    response = getattr(client_for(), method)(
        f"/api/v1/listings/{listing_id}/{suffix}", {"reason": "spam"}, format="json"
    )

    assert_error(response, 401, "not_authenticated")
    assert counts(listing_id) == {"views_count": 0, "favorites_count": 0, "phone_reveals_count": 0}


def test_anonymous_callers_have_no_favorites_list() -> None:
    assert_error(client_for().get("/api/v1/me/favorites/"), 401, "not_authenticated")


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("post", "favorite/"),
        ("delete", "favorite/"),
        ("post", "phone/"),
        ("post", "report/"),
    ],
)
@pytest.mark.parametrize("existing", [True, False], ids=["draft", "missing"])
def test_a_listing_the_caller_cannot_see_is_not_found(
    author: Any, stranger: Any, method: str, suffix: str, existing: bool
) -> None:
    listing_id = draft_listing(author) if existing else "0b6f3a4e-2f6f-4a1d-9a51-2f9c1b9d0e11"

    response = getattr(client_for(stranger), method)(
        f"/api/v1/listings/{listing_id}/{suffix}", {"reason": "spam"}, format="json"
    )

    assert_error(response, 404, "not_found")
    assert not Favorite.objects.exists()
    assert not Report.objects.exists()


# --- Favorites --------------------------------------------------------------------------------


def test_favoriting_is_idempotent_and_counts_distinct_users(
    author: Any, stranger: Any, moderator: Any
) -> None:
    listing_id = active_listing(author)
    url = favorite_url(listing_id)

    assert client_for(stranger).post(url).status_code == 204
    assert client_for(stranger).post(url).status_code == 204
    assert counts(listing_id)["favorites_count"] == 1
    assert client_for(moderator).post(url).status_code == 204
    assert counts(listing_id)["favorites_count"] == 2

    detail = client_for(stranger).get(f"/api/v1/listings/{listing_id}/").json()
    assert detail["is_favorited"] is True
    assert detail["favorites_count"] == 2

    assert client_for(stranger).delete(url).status_code == 204
    assert client_for(stranger).delete(url).status_code == 204
    assert counts(listing_id)["favorites_count"] == 1
    assert Favorite.objects.filter(listing_id=listing_id).count() == 1
    assert client_for(stranger).get(f"/api/v1/listings/{listing_id}/").json()["is_favorited"] is (
        False
    )


def test_unfavoriting_a_listing_never_favorited_changes_nothing(
    author: Any, stranger: Any, moderator: Any
) -> None:
    listing_id = active_listing(author)
    client_for(moderator).post(favorite_url(listing_id))

    assert client_for(stranger).delete(favorite_url(listing_id)).status_code == 204

    assert counts(listing_id)["favorites_count"] == 1


def test_the_seller_may_favorite_his_own_draft(author: Any) -> None:
    listing_id = draft_listing(author)

    assert client_for(author).post(favorite_url(listing_id)).status_code == 204

    results = client_for(author).get("/api/v1/me/favorites/").json()["results"]
    assert [item["id"] for item in results] == [listing_id]


def test_a_favorite_can_be_removed_after_its_listing_left_the_callers_sight(
    author: Any, stranger: Any
) -> None:
    listing_id = active_listing(author)
    client_for(stranger).post(favorite_url(listing_id))
    Listing.objects.filter(pk=listing_id).update(status="sold")

    assert_error(client_for(stranger).post(favorite_url(listing_id)), 404, "not_found")
    assert client_for(stranger).delete(favorite_url(listing_id)).status_code == 204

    assert not Favorite.objects.exists()
    assert counts(listing_id)["favorites_count"] == 0
    assert_error(client_for(stranger).delete(favorite_url(listing_id)), 404, "not_found")


def test_my_favorites_lists_what_is_still_visible_latest_favorite_first(
    author: Any, stranger: Any
) -> None:
    first, second, third = (active_listing(author) for _ in range(3))
    for listing_id in (third, first, second):  # favorited in another order than created
        client_for(stranger).post(favorite_url(listing_id))
    Listing.objects.filter(pk=second).update(status="paused")

    body = client_for(stranger).get("/api/v1/me/favorites/").json()

    assert set(body) == {"results", "next", "previous"}
    assert [item["id"] for item in body["results"]] == [first, third]
    assert all(item["is_favorited"] for item in body["results"])
    assert all(item["favorites_count"] == 1 for item in body["results"])
    assert client_for(author).get("/api/v1/me/favorites/").json()["results"] == []


def test_my_favorites_is_paginated_by_cursor(author: Any, stranger: Any) -> None:
    listing_ids = [active_listing(author) for _ in range(3)]
    for listing_id in listing_ids:
        client_for(stranger).post(favorite_url(listing_id))

    page = client_for(stranger).get("/api/v1/me/favorites/?page_size=2").json()
    rest = client_for(stranger).get(page["next"]).json()

    assert [item["id"] for item in page["results"] + rest["results"]] == listing_ids[::-1]
    assert page["next"].startswith("http://testserver/")
    assert rest["next"] is None


@pytest.mark.parametrize("favorites", [1, 10])
def test_my_favorites_costs_a_fixed_number_of_queries(
    stranger: Any, favorites: int, django_assert_num_queries: Any
) -> None:
    for index in range(favorites):
        seller = UserFactory()  # five personal listings each at most
        listing_id = active_listing(seller, title=f"Toyota Camry number {index}")
        client_for(stranger).post(favorite_url(listing_id))
    client = client_for(stranger)

    # The favorites page, their listings with every card field, their media.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/me/favorites/")

    assert len(response.json()["results"]) == favorites


@pytest.mark.django_db(transaction=True)
def test_a_simultaneous_double_favorite_counts_once() -> None:
    author, buyer = UserFactory(), UserFactory()
    listing_id = active_listing(author)

    statuses = run_concurrently(
        6, lambda _i: client_for(buyer).post(favorite_url(listing_id)).status_code
    )

    assert statuses == [204] * 6
    assert Favorite.objects.filter(listing_id=listing_id).count() == 1
    assert counts(listing_id)["favorites_count"] == 1

    statuses = run_concurrently(
        6, lambda _i: client_for(buyer).delete(favorite_url(listing_id)).status_code
    )

    assert statuses == [204] * 6
    assert counts(listing_id)["favorites_count"] == 0


@pytest.mark.django_db(transaction=True)
def test_favoriting_and_unfavoriting_at_once_never_fails_and_keeps_the_count() -> None:
    author, buyer = UserFactory(), UserFactory()
    listing_id = active_listing(author)

    def toggle(index: int) -> int:
        client = client_for(buyer)
        send = client.post if index % 2 else client.delete
        return send(favorite_url(listing_id)).status_code

    # Each round is a storm of 40; one seldom hits the narrow window, a few nearly always do.
    for _round in range(5):
        statuses = run_concurrently(40, toggle)
        assert statuses == [204] * 40
    favorites = Favorite.objects.filter(listing_id=listing_id).count()
    assert counts(listing_id)["favorites_count"] == favorites


@pytest.mark.django_db(transaction=True)
def test_simultaneous_favorites_by_different_users_are_all_counted() -> None:
    author = UserFactory()
    buyers = [UserFactory() for _ in range(6)]
    listing_id = active_listing(author)

    run_concurrently(6, lambda i: client_for(buyers[i]).post(favorite_url(listing_id)))

    assert counts(listing_id)["favorites_count"] == 6


# --- Phone ------------------------------------------------------------------------------------


def phone_url(listing_id: str) -> str:
    return f"/api/v1/listings/{listing_id}/phone/"


def test_the_phone_of_a_personal_listing_is_its_authors(author: Any, stranger: Any) -> None:
    listing_id = active_listing(author)

    response = client_for(stranger).post(phone_url(listing_id))

    assert response.status_code == 200, response.content
    assert response.json() == {"phone": author.phone}
    assert counts(listing_id)["phone_reveals_count"] == 1
    client_for(stranger).post(phone_url(listing_id))
    assert counts(listing_id)["phone_reveals_count"] == 2


def test_the_phone_of_a_business_listing_is_the_businesss(
    dealer: Business, dealer_seller: Any, stranger: Any
) -> None:
    Business.objects.filter(pk=dealer.pk).update(phone="+996555123456")
    listing_id = active_listing(dealer_seller, business_id=str(dealer.pk))

    response = client_for(stranger).post(phone_url(listing_id))

    assert response.json() == {"phone": "+996555123456"}
    assert counts(listing_id)["phone_reveals_count"] == 1


def test_a_business_without_a_phone_gives_the_authors(
    dealer: Business, dealer_seller: Any, stranger: Any
) -> None:
    listing_id = active_listing(dealer_seller, business_id=str(dealer.pk))

    assert client_for(stranger).post(phone_url(listing_id)).json() == {"phone": dealer_seller.phone}


def test_a_hidden_phone_is_not_given(author: Any, stranger: Any) -> None:
    listing_id = active_listing(author, hide_phone=True)

    error = assert_error(client_for(stranger).post(phone_url(listing_id)), 404, "phone_hidden")

    assert author.phone not in str(error)
    assert counts(listing_id)["phone_reveals_count"] == 0


def test_the_seller_sides_own_reveals_are_not_counted(
    author: Any, dealer: Business, dealer_seller: Any, dealer_admin: Any
) -> None:
    personal = active_listing(author)
    business = active_listing(dealer_seller, business_id=str(dealer.pk))

    assert client_for(author).post(phone_url(personal)).status_code == 200
    assert client_for(dealer_admin).post(phone_url(business)).status_code == 200

    assert counts(personal)["phone_reveals_count"] == 0
    assert counts(business)["phone_reveals_count"] == 0


def test_the_31st_reveal_within_an_hour_is_throttled(author: Any, stranger: Any) -> None:
    listing_id = active_listing(author)
    hidden = active_listing(author, hide_phone=True)
    client = client_for(stranger)

    assert client.post(phone_url(hidden)).status_code == 404  # every call counts
    for _ in range(29):
        assert client.post(phone_url(listing_id)).status_code == 200
    response = client.post(phone_url(listing_id))

    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 3600
    assert counts(listing_id)["phone_reveals_count"] == 29
    assert client_for(UserFactory()).post(phone_url(listing_id)).status_code == 200


def test_reveals_are_refused_when_the_limit_cannot_be_checked(
    author: Any, stranger: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing_id = active_listing(author)

    def down(limit: Any) -> Any:
        raise redis.ConnectionError("down")

    monkeypatch.setattr(ratelimit, "_hit_redis", down)

    assert_error(client_for(stranger).post(phone_url(listing_id)), 503, "service_unavailable")
    assert counts(listing_id)["phone_reveals_count"] == 0


# --- Reports ----------------------------------------------------------------------------------


def report_url(listing_id: str) -> str:
    return f"/api/v1/listings/{listing_id}/report/"


def test_a_report_is_recorded_and_audited(author: Any, stranger: Any) -> None:
    listing_id = active_listing(author)

    response = client_for(stranger).post(
        report_url(listing_id),
        {"reason": "fraud", "comment": "  Asks for a prepayment to a card.  ", "status": "upheld"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "reason", "comment", "status", "created_at"}
    assert body["reason"] == "fraud"
    assert body["comment"] == "Asks for a prepayment to a card."
    assert body["status"] == "open"
    report = Report.objects.get(pk=body["id"])
    assert (report.listing_id, report.reporter_id) == (
        Listing.objects.get(pk=listing_id).pk,
        stranger.pk,
    )
    entry = AuditEntry.objects.get(action="listing.reported", target_id=listing_id)
    assert entry.actor_id == stranger.pk
    assert entry.data["reason"] == "fraud"


def test_the_comment_is_optional(author: Any, stranger: Any) -> None:
    response = client_for(stranger).post(
        report_url(active_listing(author)), {"reason": "spam"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["comment"] == ""


def test_a_second_report_by_the_same_user_is_a_conflict(
    author: Any, stranger: Any, moderator: Any
) -> None:
    listing_id = active_listing(author)
    client_for(stranger).post(report_url(listing_id), {"reason": "spam"}, format="json")

    response = client_for(stranger).post(report_url(listing_id), {"reason": "fraud"}, format="json")

    assert_error(response, 409, "already_reported")
    assert Report.objects.filter(listing_id=listing_id).count() == 1
    other = client_for(moderator).post(report_url(listing_id), {"reason": "fraud"}, format="json")
    assert other.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "boring"}, "reason"),
        ({}, "reason"),
        ({"reason": ["spam"]}, "reason"),
        ({"reason": "other", "comment": "x" * 1001}, "comment"),
    ],
)
def test_invalid_reports_name_the_field(
    author: Any, stranger: Any, body: dict[str, Any], field: str
) -> None:
    response = client_for(stranger).post(report_url(active_listing(author)), body, format="json")

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {field}
    assert not Report.objects.exists()


def test_nobody_reports_his_own_listing(
    author: Any, dealer: Business, dealer_seller: Any, dealer_admin: Any
) -> None:
    personal = active_listing(author)
    business = active_listing(dealer_seller, business_id=str(dealer.pk))

    for user, listing_id in ((author, personal), (dealer_admin, business)):
        response = client_for(user).post(report_url(listing_id), {"reason": "spam"}, format="json")
        assert_error(response, 400, "cannot_report_own")
    assert not Report.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_simultaneous_reports_by_one_user_are_recorded_once() -> None:
    author, reporter = UserFactory(), UserFactory()
    listing_id = active_listing(author)

    statuses = run_concurrently(
        5,
        lambda _i: (
            client_for(reporter)
            .post(report_url(listing_id), {"reason": "spam"}, format="json")
            .status_code
        ),
    )

    assert sorted(statuses) == [201, 409, 409, 409, 409]
    assert Report.objects.filter(listing_id=listing_id).count() == 1
    assert AuditEntry.objects.filter(action="listing.reported", target_id=listing_id).count() == 1


# --- Views ------------------------------------------------------------------------------------


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_a_viewer_is_counted_once_a_day(
    author: Any, stranger: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing_id = active_listing(author)
    at(monkeypatch, datetime(2025, 3, 1, 9, 0, tzinfo=BISHKEK))

    assert listing_count_view(listing_id=listing_id, viewer_key=f"user:{stranger.pk}") is True
    assert listing_count_view(listing_id=listing_id, viewer_key=f"user:{stranger.pk}") is False
    assert listing_count_view(listing_id=listing_id, viewer_key="ip:10.0.0.7") is True
    assert counts(listing_id)["views_count"] == 2

    at(monkeypatch, datetime(2025, 3, 1, 23, 59, tzinfo=BISHKEK))  # still the same local day
    assert listing_count_view(listing_id=listing_id, viewer_key=f"user:{stranger.pk}") is False
    at(monkeypatch, datetime(2025, 3, 2, 0, 1, tzinfo=BISHKEK))
    assert listing_count_view(listing_id=listing_id, viewer_key=f"user:{stranger.pk}") is True
    assert counts(listing_id)["views_count"] == 3


def test_the_dedup_key_expires_at_the_end_of_the_local_day() -> None:
    late = datetime(2025, 3, 1, 23, 59, 30, tzinfo=BISHKEK)

    assert engagement._seconds_until_midnight(late) == 30
    assert engagement._seconds_until_midnight(late.astimezone(ZoneInfo("UTC"))) == 30


def test_the_seller_sides_own_views_are_not_counted(
    author: Any, dealer: Business, dealer_seller: Any, dealer_admin: Any
) -> None:
    personal = active_listing(author)
    business = active_listing(dealer_seller, business_id=str(dealer.pk))

    sellers = ((author, personal), (dealer_admin, business), (dealer_seller, business))
    for user, listing_id in sellers:
        counted = listing_count_view(
            listing_id=listing_id, viewer_key=f"user:{user.pk}", user_id=user.pk
        )
        assert counted is False
    assert counts(personal)["views_count"] == 0
    assert counts(business)["views_count"] == 0
    assert listing_count_view(listing_id=business, viewer_key="user:x", user_id=author.pk)
    assert counts(business)["views_count"] == 1


def test_a_cache_failure_does_not_break_the_answer(
    author: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    listing_id = active_listing(author)

    def down(*args: Any, **kwargs: Any) -> Any:
        raise redis.ConnectionError("down")

    monkeypatch.setattr(engagement.cache, "add", down)

    assert listing_count_view(listing_id=listing_id, viewer_key="ip:10.0.0.7") is False
    assert counts(listing_id)["views_count"] == 0
    assert "not counted" in caplog.text


def request_from(user: Any = None, address: str = "203.0.113.9") -> Request:
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = address
    drf_request = Request(request)
    drf_request.user = user if user is not None else AnonymousUser()
    return drf_request


def test_views_are_keyed_by_user_or_by_address_for_anonymous_callers(
    author: Any, stranger: Any
) -> None:
    listing = Listing.objects.get(pk=active_listing(author))

    count_listing_view(request_from(), listing.pk)
    count_listing_view(request_from(), listing.pk)
    count_listing_view(request_from(address="198.51.100.4"), listing.pk)
    count_listing_view(request_from(stranger), listing.pk)
    count_listing_view(request_from(stranger, address="198.51.100.5"), listing.pk)
    count_listing_view(request_from(author), listing.pk)

    assert counts(str(listing.pk))["views_count"] == 3


def test_reading_a_listing_counts_a_view_once_per_viewer(author: Any, stranger: Any) -> None:
    listing_id = active_listing(author)
    url = f"/api/v1/listings/{listing_id}/"

    for client in (client_for(stranger), client_for(stranger), client_for(), client_for()):
        assert client.get(url).status_code == 200
    client_for(author).get(url)

    assert counts(listing_id)["views_count"] == 2
