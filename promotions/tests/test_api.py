"""Plans, buying a boost, the caller's promotions and payments: through the API."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from accounts import push
from accounts.models import AuditEntry, Device
from listings.models import Listing
from promotions.models import Payment, PaymentStatus, Plan, Promotion, PromotionStatus
from promotions.services.promotions import ACTIVATED_TITLE
from tests.helpers import assert_error

from .conftest import active_listing, bought, buy, client_for, create, paid, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plans")]


def test_anyone_reads_the_plans_as_a_plain_array_in_the_payment_currency() -> None:
    response = client_for().get("/api/v1/promotions/plans/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    plans = response.json()
    assert [plan["code"] for plan in plans] == ["boost_3", "boost_7", "boost_30"]
    assert [plan["days"] for plan in plans] == [3, 7, 30]
    assert {plan["currency"] for plan in plans} == {settings.PAYMENT_CURRENCY}
    assert plans[1] == {
        "code": "boost_7",
        "name": "Boost for 7 days",
        "days": 7,
        "price": "400.00",
        "currency": "KGS",
    }


def test_plan_names_follow_the_language() -> None:
    names = {
        language: client_for()
        .get("/api/v1/promotions/plans/", HTTP_ACCEPT_LANGUAGE=language)
        .json()[0]["name"]
        for language in ("ru", "ky", "en")
    }

    assert names == {"ru": "Поднятие на 3 дня", "ky": "3 күнгө көтөрүү", "en": "Boost for 3 days"}


def test_buying_a_boost_answers_the_promotion_and_its_payment(author: Any) -> None:
    listing = active_listing(author)

    response = buy(author, listing, "boost_3")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "listing_id", "plan", "status", "payment"}
    assert (body["listing_id"], body["plan"], body["status"]) == (
        str(listing.pk),
        "boost_3",
        "pending_payment",
    )
    payment = body["payment"]
    assert set(payment) == {"id", "amount", "currency", "provider", "checkout_url", "expires_at"}
    assert (payment["amount"], payment["currency"], payment["provider"]) == (
        "200.00",
        "KGS",
        "test",
    )
    assert payment["checkout_url"] == f"http://testserver/payments/test-checkout/{payment['id']}/"
    expires = parse_datetime(payment["expires_at"])
    assert expires is not None
    assert abs(expires - (timezone.now() + timedelta(minutes=30))) < timedelta(seconds=30)
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.purpose, stored.payer_id) == ("pending", "promotion", author.pk)
    assert set(
        AuditEntry.objects.filter(target_id__in=[body["id"], payment["id"]]).values_list(
            "action", flat=True
        )
    ) == {"promotion.created", "payment.created"}


def test_the_happy_path_from_buying_to_the_top_of_the_feed(
    author: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Device.objects.create(user=author, expo_push_token="ExponentPushToken[promo1]", platform="ios")
    older = active_listing(author, title="An older listing that is boosted")
    active_listing(author, title="A newer listing, not boosted")
    promotion = bought(author, older, "boost_7")
    push.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = pay(promotion)

    assert response.json() == {"event_id": response.json()["event_id"], "duplicate": False}
    assert promotion.status == PromotionStatus.ACTIVE
    assert promotion.starts_at is not None
    assert promotion.ends_at is not None
    assert abs(promotion.starts_at - timezone.now()) < timedelta(seconds=30)
    assert promotion.ends_at - promotion.starts_at == timedelta(days=7)
    older.refresh_from_db()
    assert older.boosted_until == promotion.ends_at
    assert older.boost_started_at == promotion.starts_at
    detail = client_for().get(f"/api/v1/listings/{older.pk}/").json()
    assert detail["is_boosted"] is True
    assert parse_datetime(detail["boosted_until"]) == promotion.ends_at
    feed = client_for().get("/api/v1/listings/feed/").json()["results"]
    assert next(card["id"] for card in feed) == str(older.pk)
    assert feed[0]["is_boosted"] is True
    payment = client_for(author).get(f"/api/v1/payments/{promotion.payment_id}/").json()
    assert payment["status"] == "succeeded"
    mine = client_for(author).get("/api/v1/promotions/").json()["results"]
    assert [(p["id"], p["status"]) for p in mine] == [(str(promotion.pk), "active")]
    with translation.override("ru"):
        assert [message.title for message in push.outbox] == [str(ACTIVATED_TITLE)]
    assert push.outbox[0].data["promotion_id"] == str(promotion.pk)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"payment.succeeded", "promotion.active"} <= actions


def test_the_seller_side_of_a_business_listing_may_promote_it(
    dealer: Any, dealer_seller: Any, dealer_admin: Any
) -> None:
    response = create(dealer_seller, business_id=str(dealer.pk))
    assert response.status_code == 201, response.content
    Listing.objects.filter(pk=response.json()["id"]).update(
        status="active", published_at=timezone.now()
    )
    listing = Listing.objects.get(pk=response.json()["id"])

    assert buy(dealer_admin, listing).status_code == 201


def test_someone_elses_listing_is_not_found(author: Any, stranger: Any) -> None:
    listing = active_listing(author)

    assert_error(buy(stranger, listing), 404, "not_found")
    assert not Promotion.objects.exists()
    assert not Payment.objects.exists()


def test_only_an_active_listing_can_be_promoted(author: Any) -> None:
    draft = Listing.objects.get(pk=create(author).json()["id"])
    sold = active_listing(author)
    Listing.objects.filter(pk=sold.pk).update(status="sold")

    assert_error(buy(author, draft), 409, "listing_not_active")
    assert_error(buy(author, sold), 409, "listing_not_active")
    assert not Payment.objects.exists()


def test_an_unknown_or_retired_plan_is_refused(author: Any) -> None:
    listing = active_listing(author)
    Plan.objects.filter(code="boost_30").update(is_active=False)

    for plan in ("boost_1000", "boost_30", "", 7):
        error = assert_error(buy(author, listing, plan), 400, "invalid")
        assert list(error["fields"]) == ["plan"]
    assert not Payment.objects.exists()


def test_buying_needs_a_login(author: Any) -> None:
    listing = active_listing(author)

    assert_error(buy(None, listing), 401, "not_authenticated")


def test_without_a_payment_provider_buying_is_unavailable(author: Any, settings: Any) -> None:
    settings.PAYMENT_PROVIDERS = []
    settings.PAYMENT_DEFAULT_PROVIDER = None
    listing = active_listing(author)

    assert_error(buy(author, listing), 503, "service_unavailable")
    assert not Payment.objects.exists()


def test_a_provider_that_refuses_fails_the_payment_and_its_promotion(
    author: Any, monkeypatch: Any
) -> None:
    from promotions.providers import test as test_provider
    from promotions.providers.base import ProviderError

    def refuse(self: Any, **kwargs: Any) -> Any:
        raise ProviderError("down")

    monkeypatch.setattr(test_provider.TestProvider, "create_checkout", refuse)
    listing = active_listing(author)

    assert_error(buy(author, listing), 503, "service_unavailable")
    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert Promotion.objects.get().status == PromotionStatus.FAILED


def test_users_see_only_their_own_promotions(author: Any, stranger: Any) -> None:
    mine = bought(author, active_listing(author))
    theirs = bought(stranger, active_listing(stranger))

    listed = client_for(author).get("/api/v1/promotions/").json()
    assert [item["id"] for item in listed["results"]] == [str(mine.pk)]
    assert set(listed["results"][0]) >= {
        "id",
        "listing_id",
        "plan",
        "status",
        "starts_at",
        "ends_at",
    }
    assert {
        item["id"] for item in client_for(stranger).get("/api/v1/promotions/").json()["results"]
    } == {str(theirs.pk)}
    assert_error(client_for().get("/api/v1/promotions/"), 401, "not_authenticated")


def test_promotions_are_cursor_paginated_newest_first(author: Any) -> None:
    listing = active_listing(author)
    promotions = [bought(author, listing) for _ in range(3)]

    first = client_for(author).get("/api/v1/promotions/?page_size=2").json()
    second = client_for(author).get(first["next"]).json()

    ids = [item["id"] for item in first["results"] + second["results"]]
    assert ids == [str(p.pk) for p in reversed(promotions)]
    assert second["next"] is None


@pytest.mark.parametrize("page_size", [1, 50])
def test_the_promotions_page_costs_one_query_whatever_its_size(
    author: Any, page_size: int, django_assert_num_queries: Any
) -> None:
    listing = active_listing(author)
    for _ in range(page_size):
        paid(author, listing, "boost_3")
    client = client_for(author)

    with django_assert_num_queries(1):
        response = client.get(f"/api/v1/promotions/?page_size={page_size}")

    assert len(response.json()["results"]) == page_size


def test_the_plans_cost_one_query(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        assert len(client_for().get("/api/v1/promotions/plans/").json()) == 3


def test_a_payment_is_seen_by_its_payer_only(author: Any, stranger: Any, moderator: Any) -> None:
    promotion = bought(author, active_listing(author))
    url = f"/api/v1/payments/{promotion.payment_id}/"

    response = client_for(author).get(url)

    assert response.status_code == 200
    assert response.json() == {
        "id": str(promotion.payment_id),
        "status": "pending",
        "amount": "400.00",
        "currency": "KGS",
        "purpose": "promotion",
        "created_at": response.json()["created_at"],
        "expires_at": response.json()["expires_at"],
    }
    assert_error(client_for(stranger).get(url), 404, "not_found")
    assert_error(client_for(moderator).get(url), 404, "not_found")
    assert_error(client_for(author).get("/api/v1/payments/not-a-uuid/"), 404, "not_found")
    assert_error(client_for().get(url), 401, "not_authenticated")
