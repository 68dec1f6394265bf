"""Creating, reading, editing and archiving listings through the API."""

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from listings.models import Listing, Status
from listings.tests.conftest import CAR, ESTATE, HORSE, add_image, client_for, create
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("payload", [CAR, HORSE, ESTATE], ids=["car", "horse", "real_estate"])
def test_each_category_is_created_as_a_draft_with_its_details(author: Any, payload: dict) -> None:
    response = create(author, payload)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["category"] == payload["category"]
    assert body["seller"]["id"] == str(author.pk)
    assert body["seller"]["is_business"] is False
    assert body["is_favorited"] is False
    assert body["is_boosted"] is False
    assert set(body["prices"]) == {"KGS", "KZT", "USD"}
    for key in payload["details"]:
        assert key in body["details"]
    assert AuditEntry.objects.filter(action="listing.created", target_id=body["id"]).exists()


def test_prices_are_given_in_every_currency_at_the_stored_rates(author: Any) -> None:
    body = create(author, ESTATE).json()

    assert body["price"] == "68000.00"
    assert body["prices"]["USD"] == "68000.00"
    assert body["prices"]["KGS"] == "5946600.00"  # 68,000 × 87.45
    assert Decimal(body["prices"]["KZT"]) == (Decimal("5946600") / Decimal("0.17")).quantize(
        Decimal("0.01")
    )


def test_the_default_currency_applies_when_none_is_sent(author: Any) -> None:
    payload = {key: value for key, value in CAR.items() if key != "currency"}

    assert create(author, payload).json()["currency"] == "KZT"


@pytest.mark.parametrize(
    ("payload", "changes", "fields"),
    [
        (CAR, {"details": {**CAR["details"], "year": 1949}}, {"details.year"}),
        (CAR, {"details": {**CAR["details"], "year": 2099}}, {"details.year"}),
        (CAR, {"details": {**CAR["details"], "mileage_km": -1}}, {"details.mileage_km"}),
        (CAR, {"details": {**CAR["details"], "vin": "JTNB11HK0J3I00000"}}, {"details.vin"}),
        (
            CAR,
            {"details": {"make": "Toyota"}},
            {"details.model", "details.year", "details.mileage_km"},
        ),
        (CAR, {"details": {**CAR["details"], "fuel": "steam"}}, {"details.fuel"}),
        (HORSE, {"details": {**HORSE["details"], "birth_year": 1970}}, {"details.birth_year"}),
        (HORSE, {"details": {**HORSE["details"], "sex": "unicorn"}}, {"details.sex"}),
        (ESTATE, {"details": {**ESTATE["details"], "area_m2": 0}}, {"details.area_m2"}),
        (ESTATE, {"details": {**ESTATE["details"], "floor": 10}}, {"details.floor"}),
        (CAR, {"details": "a string"}, {"details"}),
        (CAR, {"title": "Car"}, {"title"}),
        (CAR, {"price": "-5"}, {"price"}),
        (CAR, {"price": "ten"}, {"price"}),
        (CAR, {"currency": "EUR"}, {"currency"}),
        (CAR, {"category": "boat"}, {"category"}),
        (CAR, {"city": "   "}, {"city"}),
        (CAR, {"location": {"lat": 95, "lng": 74}}, {"location.lat"}),
    ],
)
def test_invalid_input_names_each_field(
    author: Any, payload: dict, changes: dict, fields: set[str]
) -> None:
    response = create(author, payload, **changes)

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == fields
    assert not Listing.objects.exists()


def test_fields_a_caller_may_not_set_are_ignored(author: Any) -> None:
    response = create(author, status="active", is_boosted=True, views_count=99, seller="x")

    body = response.json()
    assert (body["status"], body["is_boosted"], body["views_count"]) == ("draft", False, 0)


def test_text_is_trimmed(author: Any) -> None:
    body = create(author, title="   Honda Fit, 2012   ", city=" Ош ").json()

    assert (body["title"], body["city"]) == ("Honda Fit, 2012", "Ош")


def test_a_repeated_client_id_returns_the_first_listing(author: Any) -> None:
    first = create(author, client_id="offline-draft-1")
    again = create(author, client_id="offline-draft-1", title="Another title here")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Listing.objects.count() == 1


def test_the_sixth_personal_listing_is_refused(author: Any) -> None:
    for _ in range(5):
        assert create(author).status_code == 201

    assert_error(create(author), 403, "listing_limit_reached")
    assert client_for(author).get("/api/v1/me/").json()["listing_quota"] == {"used": 5, "limit": 5}


def test_sold_and_archived_listings_free_the_quota(author: Any) -> None:
    ids = [create(author).json()["id"] for _ in range(5)]
    client_for(author).delete(f"/api/v1/listings/{ids[0]}/")

    assert create(author).status_code == 201


def test_a_business_in_trial_has_no_cap(dealer_seller: Any, dealer: Any) -> None:
    for _ in range(7):
        assert create(dealer_seller, business_id=str(dealer.pk)).status_code == 201

    assert create(dealer_seller).status_code == 201  # personal quota untouched


def test_a_lapsed_business_is_capped_at_five(dealer_seller: Any, dealer: Any) -> None:
    dealer.subscription_status, dealer.past_due_since = "past_due", timezone.now()
    dealer.save()
    for _ in range(5):
        assert create(dealer_seller, business_id=str(dealer.pk)).status_code == 201

    assert_error(create(dealer_seller, business_id=str(dealer.pk)), 403, "listing_limit_reached")


def test_listing_for_a_business_needs_membership(stranger: Any, dealer: Any) -> None:
    response = create(stranger, business_id=str(dealer.pk))

    assert set(assert_error(response, 400, "invalid")["fields"]) == {"business_id"}


def test_anonymous_callers_cannot_create(author: Any) -> None:
    assert_error(
        client_for().post("/api/v1/listings/", CAR, format="json"), 401, "not_authenticated"
    )


# --- Lifecycle --------------------------------------------------------------------------------


def submit(user: Any, listing_id: str) -> Any:
    return client_for(user).post(f"/api/v1/listings/{listing_id}/submit/")


def test_submit_needs_media(author: Any) -> None:
    listing_id = create(author).json()["id"]

    assert_error(submit(author, listing_id), 400, "media_required")


def test_submit_moves_a_draft_to_review_and_starts_the_precheck(
    author: Any, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    listing_id = create(author).json()["id"]
    add_image(listing_id)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = submit(author, listing_id)

    assert response.status_code == 200
    assert response.json()["status"] == "pending_review"
    assert len(callbacks) == 1  # the moderation pre-check, enqueued after commit
    assert AuditEntry.objects.filter(action="listing.submitted", target_id=listing_id).exists()


@pytest.mark.parametrize("status", ["pending_review", "active", "sold", "paused"])
def test_submit_from_other_statuses_is_an_invalid_transition(author: Any, status: str) -> None:
    listing_id = create(author).json()["id"]
    add_image(listing_id)
    Listing.objects.filter(pk=listing_id).update(status=status)

    assert_error(submit(author, listing_id), 409, "invalid_transition")


def test_a_rejected_listing_can_be_resubmitted(author: Any) -> None:
    listing_id = create(author).json()["id"]
    add_image(listing_id)
    Listing.objects.filter(pk=listing_id).update(status="rejected", rejection_code="bad_media")

    body = submit(author, listing_id).json()

    assert body["status"] == "pending_review"


def test_mark_sold_only_from_active(author: Any) -> None:
    listing_id = create(author).json()["id"]
    client = client_for(author)

    assert_error(
        client.post(f"/api/v1/listings/{listing_id}/mark-sold/"), 409, "invalid_transition"
    )
    Listing.objects.filter(pk=listing_id).update(status="active", published_at=timezone.now())
    response = client.post(f"/api/v1/listings/{listing_id}/mark-sold/")

    assert response.json()["status"] == "sold"


def test_delete_archives_from_any_status_and_hides_it(author: Any) -> None:
    listing_id = create(author).json()["id"]
    client = client_for(author)

    assert client.delete(f"/api/v1/listings/{listing_id}/").status_code == 204

    assert Listing.objects.get(pk=listing_id).status == Status.ARCHIVED
    assert_error(client.get(f"/api/v1/listings/{listing_id}/"), 404, "not_found")


def test_a_substantive_edit_of_an_active_listing_sends_it_back_to_review(author: Any) -> None:
    listing_id = create(author).json()["id"]
    published = timezone.now() - timezone.timedelta(days=3)
    Listing.objects.filter(pk=listing_id).update(status="active", published_at=published)

    response = client_for(author).patch(
        f"/api/v1/listings/{listing_id}/", {"price": "1700000"}, format="json"
    )

    body = response.json()
    assert body["status"] == "pending_review"
    assert body["prices"]["KGS"] == "1700000.00"
    assert Listing.objects.get(pk=listing_id).published_at == published


def test_a_minor_edit_keeps_an_active_listing_live(author: Any) -> None:
    listing_id = create(author).json()["id"]
    Listing.objects.filter(pk=listing_id).update(status="active", published_at=timezone.now())

    body = (
        client_for(author)
        .patch(f"/api/v1/listings/{listing_id}/", {"hide_phone": True, "city": "Ош"}, format="json")
        .json()
    )

    assert (body["status"], body["hide_phone"], body["city"]) == ("active", True, "Ош")


def test_partial_details_are_merged_and_validated_together(author: Any) -> None:
    listing_id = create(author, ESTATE).json()["id"]
    client = client_for(author)

    ok = client.patch(f"/api/v1/listings/{listing_id}/", {"details": {"rooms": 3}}, format="json")
    bad = client.patch(f"/api/v1/listings/{listing_id}/", {"details": {"floor": 12}}, format="json")

    assert ok.json()["details"]["rooms"] == 3
    assert ok.json()["details"]["floors_total"] == 9
    assert set(assert_error(bad, 400, "invalid")["fields"]) == {"details.floor"}


def test_my_listings_lists_every_status_and_filters(author: Any) -> None:
    first, second = (create(author).json()["id"] for _ in range(2))
    Listing.objects.filter(pk=second).update(status="rejected")
    client = client_for(author)

    everything = client.get("/api/v1/me/listings/").json()["results"]
    rejected = client.get("/api/v1/me/listings/?status=rejected").json()["results"]

    assert {item["id"] for item in everything} == {first, second}
    assert [item["id"] for item in rejected] == [second]
    assert_error(client.get("/api/v1/me/listings/?status=gone"), 400, "invalid")


def test_deleting_the_account_archives_personal_listings(author: Any) -> None:
    listing_id = create(author).json()["id"]

    assert client_for(author).delete("/api/v1/me/").status_code == 204

    assert Listing.objects.get(pk=listing_id).status == Status.ARCHIVED
