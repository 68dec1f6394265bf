"""What a buyer sees never changes without a check: an active listing's place goes live only
when it is a known place in the country, and an edit made while in review is pre-checked again
(an automatic approval never publishes content its pre-check did not see)."""

from typing import Any

import pytest

from listings.models import Listing
from listings.tests.conftest import client_for
from moderation import ai
from moderation.models import ModerationEvent
from moderation.tests.test_moderation_api import submitted

pytestmark = pytest.mark.django_db

SCAM = {
    "city": "ПРЕДОПЛАТА на карту 4169 5853 0000 0000 WhatsApp +996555123456",
    "region": "t.me/scam_kg",
}


def approved(author: Any, moderator: Any, capture: Any) -> str:
    listing_id = submitted(author, capture)
    with capture(execute=True):
        response = client_for(moderator).post(f"/api/v1/moderation/listings/{listing_id}/approve/")
    assert response.json()["status"] == "active"
    return listing_id


def patch(author: Any, listing_id: str, capture: Any, **data: Any) -> Any:
    with capture(execute=True):
        response = client_for(author).patch(f"/api/v1/listings/{listing_id}/", data, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def public_ids() -> list[str]:
    return [card["id"] for card in client_for().get("/api/v1/listings/feed/").json()["results"]]


def test_contacts_written_into_the_place_send_a_live_listing_back_to_review(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = approved(author, moderator, django_capture_on_commit_callbacks)

    body = patch(author, listing_id, django_capture_on_commit_callbacks, **SCAM)

    assert body["status"] == "pending_review"
    assert listing_id not in public_ids()
    assert client_for().get(f"/api/v1/listings/{listing_id}/").status_code == 404
    precheck = ModerationEvent.objects.filter(listing_id=listing_id, kind="ai_precheck").latest(
        "created_at"
    )
    assert precheck.verdict == "needs_review"
    assert {"contact_in_text", "fraud_suspected"} <= set(precheck.reason_codes)


@pytest.mark.parametrize(
    "place",
    [
        {"city": "Ош", "region": "Ош"},
        {"city": "г. Кара-Балта", "region": "Чуйская область"},
        {"city": "karakol"},
        {"city": "Бишкек", "location": {"lat": 42.8746, "lng": 74.5698}},
        {"city": "Кант", "location": {"lat": 42.95, "lng": 74.70}},  # its outskirts
        {"city": "Чуйская область"},
    ],
)
def test_a_move_to_a_known_place_stays_live(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any, place: dict[str, Any]
) -> None:
    listing_id = approved(author, moderator, django_capture_on_commit_callbacks)

    body = patch(author, listing_id, django_capture_on_commit_callbacks, **place)

    assert body["status"] == "active"
    assert listing_id in public_ids()


@pytest.mark.parametrize(
    "place",
    [
        {"city": "Ивановка"},  # a real village, but not on the list: a moderator looks first
        {"region": "Звоните 0700 123 456"},
        # Symbols are not separators: a known name with a handle spelled around it is unknown.
        {"city": "Ош ⓣ.ⓜⓔ/ⓢⓒⓐⓜⓚⓖ"},
        {"city": "Бишкек 🅣🅔🅛🅔🅖🅡🅐🅜"},
        {"location": {"lat": 55.7558, "lng": 37.6173}},  # outside the country
        # Neighbours' cities inside the country's bounding box, and a point far from its city.
        {"location": {"lat": 43.238, "lng": 76.945}},  # Almaty
        {"location": {"lat": 41.311, "lng": 69.28}},  # Tashkent
        {"location": {"lat": 39.47, "lng": 75.99}},  # Kashgar
        {"city": "Бишкек", "location": {"lat": 40.5283, "lng": 72.7985}},  # Osh
        {"city": "Чуйская область", "location": {"lat": 42.8746, "lng": 74.5698}},
    ],
)
def test_any_other_place_waits_for_a_moderator(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any, place: dict[str, Any]
) -> None:
    listing_id = approved(author, moderator, django_capture_on_commit_callbacks)

    body = patch(author, listing_id, django_capture_on_commit_callbacks, **place)

    assert body["status"] == "pending_review"
    assert listing_id not in public_ids()


def test_settings_a_buyer_does_not_read_as_text_stay_live(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = approved(author, moderator, django_capture_on_commit_callbacks)

    body = patch(
        author, listing_id, django_capture_on_commit_callbacks, hide_phone=True, is_negotiable=True
    )

    assert body["status"] == "active"


def test_an_edit_in_review_is_pre_checked_again(
    author: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = submitted(author, django_capture_on_commit_callbacks)
    first = ModerationEvent.objects.get(listing_id=listing_id, kind="ai_precheck")
    assert first.verdict == "approve"

    patch(author, listing_id, django_capture_on_commit_callbacks, **SCAM)

    checks = ModerationEvent.objects.filter(listing_id=listing_id, kind="ai_precheck")
    latest = checks.latest("created_at")
    assert checks.count() == 2
    assert latest.verdict == "needs_review"


def test_an_automatic_approval_never_publishes_what_its_pre_check_did_not_see(
    author: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MODERATION_AUTO_APPROVE_BELOW = 20
    judge = ai.precheck
    edited = []

    def seller_edits_while_judged(snapshot: Any) -> Any:
        verdict = judge(snapshot)
        if not edited:  # the seller's edit lands while the first verdict is being made
            edited.append(True)
            listing_id = str(Listing.objects.get().pk)
            patch(author, listing_id, django_capture_on_commit_callbacks, **SCAM)
        return verdict

    monkeypatch.setattr(ai, "precheck", seller_edits_while_judged)

    listing_id = submitted(author, django_capture_on_commit_callbacks)

    listing = Listing.objects.get(pk=listing_id)
    assert listing.status == "pending_review"
    assert listing.city == SCAM["city"]
    verdicts = list(
        ModerationEvent.objects.filter(listing_id=listing_id, kind="ai_precheck")
        .order_by("created_at")
        .values_list("verdict", flat=True)
    )
    # Only the edit's own pre-check is recorded: the first one judged what is gone.
    assert verdicts == ["needs_review"]
    assert not ModerationEvent.objects.filter(listing_id=listing_id, kind="approved").exists()


def test_a_pre_check_that_ends_after_an_edit_leaves_the_verdict_to_the_edit_s_own(
    author: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    judge = ai.precheck
    edited: list[bool] = []

    def seller_edits_while_judged(snapshot: Any) -> Any:
        verdict = judge(snapshot)
        if not edited:  # the edit lands now; its own pre-check runs once this one has ended
            edited.append(True)
            listing_id = str(Listing.objects.get().pk)
            with django_capture_on_commit_callbacks(execute=False):
                client_for(author).patch(f"/api/v1/listings/{listing_id}/", SCAM, format="json")
        return verdict

    monkeypatch.setattr(ai, "precheck", seller_edits_while_judged)

    listing_id = submitted(author, django_capture_on_commit_callbacks)

    # The first pre-check judged the clean text and ended after the edit: the one recorded is
    # the edit's own, not a stale "approve" that would also make the edit's own skip.
    (check,) = ModerationEvent.objects.filter(listing_id=listing_id, kind="ai_precheck")
    assert check.verdict == "needs_review"
    assert "contact_in_text" in check.reason_codes
