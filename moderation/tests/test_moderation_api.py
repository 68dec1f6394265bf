"""The moderators' API: the queue, decisions, reports, history — and who may use them."""

import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from accounts import push
from accounts.models import Device
from accounts.tests.factories import UserFactory
from listings.models import Listing, Report
from listings.tests.conftest import CAR, add_image, client_for, create
from moderation.models import ModerationEvent
from moderation.services import APPROVED_TITLE
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def submitted(author: Any, django_capture_on_commit_callbacks: Any, **changes: Any) -> str:
    """A listing created, given a photo and submitted — with its pre-check run."""
    listing_id = create(author, **changes).json()["id"]
    add_image(listing_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(author).post(f"/api/v1/listings/{listing_id}/submit/")
    assert response.status_code == 200, response.content
    return str(listing_id)


def test_from_creation_to_search_through_the_queue(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = submitted(author, django_capture_on_commit_callbacks)
    assert client_for().get("/api/v1/listings/").json()["results"] == []

    queue = client_for(moderator).get("/api/v1/moderation/queue/").json()
    item = queue["results"][0]
    assert item["listing"]["id"] == listing_id
    assert item["ai_verdict"]["source"] == "rules"
    assert 0 <= item["ai_verdict"]["risk_score"] <= 100
    assert item["reports_count"] == 0
    assert item["waiting_since"]

    with django_capture_on_commit_callbacks(execute=True):
        approved = client_for(moderator).post(f"/api/v1/moderation/listings/{listing_id}/approve/")

    assert approved.json()["status"] == "active"
    assert approved.json()["published_at"]
    found = client_for().get("/api/v1/listings/").json()["results"]
    assert [card["id"] for card in found] == [listing_id]
    assert client_for(moderator).get("/api/v1/moderation/queue/").json()["results"] == []


def test_the_seller_is_notified_of_the_decision(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Device.objects.create(
        user=author, expo_push_token="ExponentPushToken[abcdefgh12]", platform="ios"
    )
    listing_id = submitted(author, django_capture_on_commit_callbacks)
    push.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(moderator).post(f"/api/v1/moderation/listings/{listing_id}/approve/")

    with translation.override("ru"):
        expected = str(APPROVED_TITLE)
    assert [message.title for message in push.outbox] == [expected]
    assert push.outbox[0].data["listing_id"] == listing_id


def test_a_rejection_is_explained_to_the_seller_only(
    author: Any, moderator: Any, stranger: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = submitted(author, django_capture_on_commit_callbacks)

    response = client_for(moderator).post(
        f"/api/v1/moderation/listings/{listing_id}/reject/",
        {"reason_code": "contact_in_text", "note": "Phone number in the description"},
        format="json",
    )

    assert response.json()["status"] == "rejected"
    mine = client_for(author).get(f"/api/v1/listings/{listing_id}/").json()
    assert mine["rejection_reason"] == {
        "code": "contact_in_text",
        "note": "Phone number in the description",
    }
    assert_error(client_for(stranger).get(f"/api/v1/listings/{listing_id}/"), 404, "not_found")


def test_an_unknown_reason_is_refused(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = submitted(author, django_capture_on_commit_callbacks)

    response = client_for(moderator).post(
        f"/api/v1/moderation/listings/{listing_id}/reject/", {"reason_code": "ugly"}, format="json"
    )

    assert "reason_code" in assert_error(response, 400, "invalid")["fields"]


def test_deciding_twice_is_already_decided(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = submitted(author, django_capture_on_commit_callbacks)
    url = f"/api/v1/moderation/listings/{listing_id}/"
    client_for(moderator).post(f"{url}approve/")

    assert_error(client_for(moderator).post(f"{url}approve/"), 409, "already_decided")
    assert_error(
        client_for(moderator).post(f"{url}reject/", {"reason_code": "other"}, format="json"),
        409,
        "already_decided",
    )


def test_reapproval_after_an_edit_keeps_the_first_publication_date(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = submitted(author, django_capture_on_commit_callbacks)
    first = client_for(moderator).post(f"/api/v1/moderation/listings/{listing_id}/approve/").json()
    client_for(author).patch(f"/api/v1/listings/{listing_id}/", {"price": "1"}, format="json")

    again = client_for(moderator).post(f"/api/v1/moderation/listings/{listing_id}/approve/").json()

    assert again["published_at"] == first["published_at"]


def test_reported_active_listings_join_the_queue_and_can_be_dismissed_or_rejected(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = submitted(author, django_capture_on_commit_callbacks)
    client_for(moderator).post(f"/api/v1/moderation/listings/{listing_id}/approve/")
    for reporter in UserFactory.create_batch(2):
        client_for(reporter).post(
            f"/api/v1/listings/{listing_id}/report/", {"reason": "fraud"}, format="json"
        )

    item = client_for(moderator).get("/api/v1/moderation/queue/").json()["results"][0]
    assert (item["listing"]["id"], item["reports_count"]) == (listing_id, 2)

    dismissed = client_for(moderator).post(
        f"/api/v1/moderation/listings/{listing_id}/dismiss-reports/", {"note": "ok"}, format="json"
    )
    assert dismissed.status_code == 204
    assert client_for(moderator).get("/api/v1/moderation/queue/").json()["results"] == []
    assert set(Report.objects.values_list("status", flat=True)) == {"dismissed"}
    again = client_for(moderator).post(f"/api/v1/moderation/listings/{listing_id}/dismiss-reports/")
    assert_error(again, 409, "already_decided")

    client_for(UserFactory()).post(
        f"/api/v1/listings/{listing_id}/report/", {"reason": "spam"}, format="json"
    )
    rejected = client_for(moderator).post(
        f"/api/v1/moderation/listings/{listing_id}/reject/",
        {"reason_code": "fraud_suspected"},
        format="json",
    )
    assert rejected.json()["status"] == "rejected"
    assert client_for().get("/api/v1/listings/feed/").json()["results"] == []


def test_the_history_tells_the_whole_story_oldest_first(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = submitted(author, django_capture_on_commit_callbacks)
    client_for(moderator).post(
        f"/api/v1/moderation/listings/{listing_id}/reject/",
        {"reason_code": "bad_media"},
        format="json",
    )

    history = client_for(moderator).get(f"/api/v1/moderation/listings/{listing_id}/events/").json()

    assert [item["kind"] for item in history] == ["submitted", "ai_precheck", "rejected"]
    assert history[2]["reason_code"] == "bad_media"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/moderation/queue/"),
        ("post", "/api/v1/moderation/listings/{id}/approve/"),
        ("post", "/api/v1/moderation/listings/{id}/reject/"),
        ("post", "/api/v1/moderation/listings/{id}/dismiss-reports/"),
        ("get", "/api/v1/moderation/listings/{id}/events/"),
    ],
)
def test_only_moderators_may(
    author: Any, stranger: Any, method: str, path: str, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = submitted(author, django_capture_on_commit_callbacks)
    url = path.format(id=listing_id)

    for user in (stranger, author):
        response = getattr(client_for(user), method)(url, {"reason_code": "other"}, format="json")
        assert_error(response, 403, "permission_denied")
    assert_error(getattr(client_for(), method)(url), 401, "not_authenticated")
    assert Listing.objects.get(pk=listing_id).status == "pending_review"


def test_events_cannot_be_rewritten(
    author: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import DatabaseError, transaction

    submitted(author, django_capture_on_commit_callbacks)
    event = ModerationEvent.objects.get()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ModerationEvent.objects.filter(pk=event.pk).update(risk_score=0)


@pytest.mark.django_db(transaction=True)
def test_two_moderators_deciding_at_once_exactly_one_wins() -> None:
    from accounts.models import Role
    from accounts.services import user_set_role
    from listings.services.listings import listing_submit

    author = UserFactory()
    listing_id = create(author, CAR).json()["id"]
    add_image(listing_id)
    listing_submit(listing=Listing.objects.get(pk=listing_id), actor=author)
    moderators = [
        user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None) for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def decide(index: int) -> None:
        try:
            barrier.wait()
            url = f"/api/v1/moderation/listings/{listing_id}/"
            client = client_for(moderators[index])
            if index == 0:
                response = client.post(f"{url}approve/")
            else:
                response = client.post(f"{url}reject/", {"reason_code": "other"}, format="json")
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [200, 409]
    decisions = ModerationEvent.objects.filter(kind__in=("approved", "rejected"))
    assert decisions.count() == 1


def test_automatic_approval_is_off_by_default_and_publishes_low_risk_when_on(
    author: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    kept = submitted(author, django_capture_on_commit_callbacks)
    assert Listing.objects.get(pk=kept).status == "pending_review"

    settings.MODERATION_AUTO_APPROVE_BELOW = 20
    published = submitted(
        author,
        django_capture_on_commit_callbacks,
        title="Honda Fit 2012, economical",
        description="Serviced, new tyres.",
    )
    risky = submitted(
        author,
        django_capture_on_commit_callbacks,
        title="Honda Fit 2013, call me",
        description="Звоните 0700 123 456, пишите в WhatsApp",
    )

    assert Listing.objects.get(pk=published).status == "active"
    assert Listing.objects.get(pk=risky).status == "pending_review"
    event = ModerationEvent.objects.get(listing_id=published, kind="approved")
    assert (event.actor, event.data) == (None, {"automatic": True})
