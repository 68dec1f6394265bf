"""The admin as the moderators' console: the review queue, its decisions, and who may use it."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import MODERATORS_GROUP, Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from listings.models import Listing, ListingMedia, Report, ReportStatus
from listings.services.listings import listing_submit
from listings.tests.conftest import CAR, HORSE, add_image, client_for, create
from moderation.models import ModerationEvent
from moderation.services import moderation_approve

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/reviewitem/"
EVENTS = "/admin/moderation/moderationevent/"


# --- Given (`author` and `moderator` come from conftest.py) -------------------------------------


@pytest.fixture
def console(moderator: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(moderator)
    return client


def pending(author: Any, payload: dict[str, Any] | None = None, **changes: Any) -> Listing:
    """A listing created through the API, given a photo and submitted for review."""
    response = create(author, payload, **changes)
    assert response.status_code == 201, response.content
    listing_id = response.json()["id"]
    add_image(listing_id)
    return listing_submit(listing=Listing.objects.get(pk=listing_id), actor=author)


def prechecked(
    listing: Listing, *, verdict: str = "needs_review", risk: int = 50, reasons: Any = None
) -> ModerationEvent:
    """The AI pre-check's event, with chosen values (the real check is tested on its own)."""
    return ModerationEvent.objects.create(
        listing=listing,
        kind="ai_precheck",
        verdict=verdict,
        risk_score=risk,
        reasons=reasons if reasons is not None else [f"{verdict} at {risk}"],
        source="rules",
    )


def reported(author: Any, moderator: Any, reporters: int = 1) -> Listing:
    """An active listing with open reports: it is back in the queue."""
    listing = moderation_approve(listing=pending(author), moderator=moderator)
    for reporter in UserFactory.create_batch(reporters):
        response = client_for(reporter).post(
            f"/api/v1/listings/{listing.pk}/report/", {"reason": "fraud"}, format="json"
        )
        assert response.status_code in (200, 201), response.content
    return listing


def listed(response: Any) -> list[Any]:
    assert response.status_code == 200, response.content[:500]
    return [listing.pk for listing in response.context["cl"].result_list]


def notes(response: Any) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def run_action(console: Client, action: str, *listings: Listing, **data: Any) -> Any:
    return console.post(
        QUEUE,
        {"action": action, "_selected_action": [str(item.pk) for item in listings], **data},
    )


# --- The queue -------------------------------------------------------------------------------


def test_the_queue_lists_riskiest_first_with_verdict_risk_and_reasons(
    console: Client, author: Any
) -> None:
    calm = pending(author, title="Calm Camry")
    prechecked(calm, verdict="approve", risk=10, reasons=["Looks fine"])
    risky = pending(author, title="Risky Camry")
    prechecked(risky, verdict="reject", risk=85, reasons=["Price far below similar cars"])
    unchecked = pending(author, title="Unchecked Camry")

    response = console.get(QUEUE)

    assert listed(response) == [risky.pk, unchecked.pk, calm.pk]
    assert listed(console.get(QUEUE, {"o": "6"})) == [calm.pk, unchecked.pk, risky.pk]  # by risk
    page = response.content.decode()
    assert "Price far below similar cars" in page
    assert ">85<" in page
    assert "50?" in page  # not checked yet: sorted as middling risk, and says so
    assert "Reject" in page
    assert "<img" in page  # the first photo's thumbnail


def test_the_queue_costs_the_same_queries_for_one_listing_or_many(
    console: Client, author: Any
) -> None:
    prechecked(pending(author))
    console.get(QUEUE)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as one:
        listed(console.get(QUEUE))
    for _ in range(3):
        prechecked(pending(author, HORSE))

    with CaptureQueriesContext(connection) as four:
        assert len(listed(console.get(QUEUE))) == 4

    assert len(four) == len(one)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"verdict": "reject"}, ["risky"]),
        ({"verdict": "approve"}, ["calm"]),
        ({"verdict": "none"}, ["horse"]),
        ({"risk": "high"}, ["risky"]),
        ({"risk": "medium"}, ["horse"]),
        ({"risk": "low"}, ["calm"]),
        ({"category__exact": "horse"}, ["horse"]),
        ({"age": "hour"}, ["risky", "horse"]),
        ({"age": "day"}, ["risky", "horse"]),
        ({"age": "older"}, ["calm"]),
    ],
)
def test_the_queue_filters(
    console: Client, author: Any, query: dict[str, str], expected: list[str]
) -> None:
    listings = {
        "calm": pending(author, title="Calm Camry"),
        "risky": pending(author, title="Risky Camry"),
        "horse": pending(author, HORSE),
    }
    prechecked(listings["calm"], verdict="approve", risk=10)
    prechecked(listings["risky"], verdict="reject", risk=85)
    two_days_ago = timezone.now() - timedelta(days=2)
    Listing.objects.filter(pk=listings["calm"].pk).update(review_requested_at=two_days_ago)

    assert listed(console.get(QUEUE, query)) == [listings[name].pk for name in expected]


def test_the_change_page_shows_the_listing_video_panorama_verdict_and_history(
    console: Client, author: Any
) -> None:
    listing = pending(author)
    prechecked(listing, verdict="needs_review", risk=40, reasons=["Mileage looks low"])
    video = ListingMedia(listing=listing, kind="video", position=1)
    video.file.save("v.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=False)
    video.poster.save("p.jpg", ContentFile(b"\xff\xd8\xff poster"), save=False)
    video.save()
    panorama = ListingMedia(listing=listing, kind="panorama", position=2)
    panorama.file.save("pano.jpg", ContentFile(b"\xff\xd8\xff 360"), save=False)
    panorama.save()

    response = console.get(f"{QUEUE}{listing.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<video src="{video.file.url}" poster="{video.poster.url}" controls' in page
    assert f'<a href="{panorama.file.url}"' in page
    assert "Camry" in page  # the car's details
    assert "Mileage looks low" in page
    assert "Submitted" in page  # the history, from the audit log and the events
    assert 'name="_save"' not in page  # read-only: nothing to save
    assert f"{QUEUE}{listing.pk}/approve/" in page
    assert f"{QUEUE}{listing.pk}/reject/" in page


def test_the_change_page_of_a_listing_no_longer_in_the_queue_is_not_found(
    console: Client, author: Any, moderator: Any
) -> None:
    listing = moderation_approve(listing=pending(author), moderator=moderator)

    response = console.get(f"{QUEUE}{listing.pk}/change/")

    assert response.status_code == 302  # the admin's "doesn't exist" redirect to its index


def test_the_change_page_cannot_be_saved(console: Client, author: Any) -> None:
    listing = pending(author)

    response = console.post(f"{QUEUE}{listing.pk}/change/", {"title": "Changed"})

    assert response.status_code == 403
    assert Listing.objects.get(pk=listing.pk).title == CAR["title"]


# --- Decisions, in bulk ----------------------------------------------------------------------


def test_the_approve_action_publishes_and_records_the_decision(
    console: Client, author: Any, moderator: Any
) -> None:
    first, second = pending(author), pending(author)

    response = run_action(console, "approve_selected", first, second)

    assert response.status_code == 302
    assert set(Listing.objects.values_list("status", flat=True)) == {"active"}
    approvals = ModerationEvent.objects.filter(kind="approved")
    assert {(event.listing_id, event.actor_id) for event in approvals} == {
        (first.pk, moderator.pk),
        (second.pk, moderator.pk),
    }
    assert notes(response) == [("success", "Approved and published: 2.")]
    assert listed(console.get(QUEUE)) == []


def test_the_reject_action_asks_for_a_reason_then_rejects(
    console: Client, author: Any, moderator: Any
) -> None:
    listing = pending(author)

    form = run_action(console, "reject_selected", listing, index="0")

    assert form.status_code == 200
    assert "admin/moderation/reviewitem/reject.html" in [t.name for t in form.templates]
    assert 'name="reason_code"' in form.content.decode()
    assert Listing.objects.get(pk=listing.pk).status == "pending_review"

    done = run_action(
        console, "reject_selected", listing, apply="1", reason_code="bad_media", note="Blurry"
    )

    assert done.status_code == 302
    rejected = Listing.objects.get(pk=listing.pk)
    assert (rejected.status, rejected.rejection_code, rejected.rejection_note) == (
        "rejected",
        "bad_media",
        "Blurry",
    )
    event = ModerationEvent.objects.get(kind="rejected")
    assert (event.reason_code, event.note, event.actor_id) == ("bad_media", "Blurry", moderator.pk)


def test_the_reject_action_without_a_valid_reason_shows_the_form_again(
    console: Client, author: Any
) -> None:
    listing = pending(author)

    response = run_action(console, "reject_selected", listing, apply="1", reason_code="ugly")

    assert response.status_code == 200
    assert response.context["form"].errors["reason_code"]
    assert Listing.objects.get(pk=listing.pk).status == "pending_review"


def test_the_dismiss_action_closes_the_reports_of_an_active_listing(
    console: Client, author: Any, moderator: Any
) -> None:
    listing = reported(author, moderator, reporters=2)
    assert listed(console.get(QUEUE)) == [listing.pk]

    response = run_action(console, "dismiss_reports_selected", listing)

    assert response.status_code == 302
    assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.DISMISSED}
    assert Listing.objects.get(pk=listing.pk).status == "active"
    assert ModerationEvent.objects.filter(kind="reports_dismissed", actor=moderator).exists()
    assert listed(console.get(QUEUE)) == []


def test_deciding_what_was_already_decided_is_a_warning_not_an_error(
    console: Client, author: Any, moderator: Any
) -> None:
    waiting = pending(author)
    gone = pending(author)
    moderation_approve(listing=gone, moderator=moderator)  # another moderator was quicker
    active_and_reported = reported(author, moderator)

    response = run_action(console, "approve_selected", waiting, gone, active_and_reported)

    assert response.status_code == 302
    assert notes(response) == [
        ("success", "Approved and published: 1."),
        ("warning", "Already decided, left as they are: 2."),
    ]
    assert Listing.objects.get(pk=waiting.pk).status == "active"
    assert console.get(response["Location"]).status_code == 200


# --- Decisions, one listing from its page -----------------------------------------------------


def test_the_approve_button_publishes_and_returns_to_the_queue(
    console: Client, author: Any
) -> None:
    listing = pending(author)
    url = f"{QUEUE}{listing.pk}/approve/"

    assert console.get(url).status_code == 405
    response = console.post(url)

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert Listing.objects.get(pk=listing.pk).status == "active"


def test_the_buttons_keep_the_queues_filters(console: Client, author: Any) -> None:
    listing = pending(author)

    response = console.post(
        f"{QUEUE}{listing.pk}/approve/?_changelist_filters=risk%3Dhigh%26age%3Dday"
    )

    assert response["Location"] == f"{QUEUE}?risk=high&age=day"


def test_the_reject_button_shows_the_form_and_rejects(console: Client, author: Any) -> None:
    listing = pending(author)
    url = f"{QUEUE}{listing.pk}/reject/"

    assert 'name="reason_code"' in console.get(url).content.decode()
    response = console.post(url, {"reason_code": "contact_in_text", "note": "Phone in text"})

    assert response.status_code == 302
    rejected = Listing.objects.get(pk=listing.pk)
    assert (rejected.status, rejected.rejection_code) == ("rejected", "contact_in_text")


def test_the_dismiss_button_closes_the_reports(
    console: Client, author: Any, moderator: Any
) -> None:
    listing = reported(author, moderator)

    response = console.post(f"{QUEUE}{listing.pk}/dismiss/", {"note": "Not fraud"})

    assert response.status_code == 302
    event = ModerationEvent.objects.get(kind="reports_dismissed")
    assert (event.note, event.data["reports"]) == ("Not fraud", 1)


def test_a_button_on_a_listing_decided_meanwhile_warns(
    console: Client, author: Any, moderator: Any
) -> None:
    listing = pending(author)
    moderation_approve(listing=listing, moderator=moderator)

    for action in ("approve", "dismiss"):
        response = console.post(f"{QUEUE}{listing.pk}/{action}/")
        assert response.status_code == 302
        assert notes(response)[-1][0] == "warning"
    response = console.post(f"{QUEUE}{listing.pk}/reject/", {"reason_code": "other"})
    assert response.status_code == 302
    assert Listing.objects.get(pk=listing.pk).status == "active"


def test_the_buttons_need_csrf(moderator: Any, author: Any) -> None:
    listing = pending(author)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)

    assert client.post(f"{QUEUE}{listing.pk}/approve/").status_code == 403
    assert Listing.objects.get(pk=listing.pk).status == "pending_review"


# --- The real pre-check ------------------------------------------------------------------------


def test_the_queue_shows_the_real_precheck(console: Client, author: Any) -> None:
    pytest.importorskip("moderation.ai")
    from moderation.services import moderation_precheck

    listing = pending(author)
    event = moderation_precheck(listing_id=listing.pk)
    assert event is not None

    response = console.get(QUEUE)

    assert listed(response) == [listing.pk]
    assert f">{event.risk_score}<" in response.content.decode()
    assert event.get_verdict_display() in response.content.decode()


# --- The event log -----------------------------------------------------------------------------


def test_moderators_read_the_event_log_but_cannot_write_it(
    console: Client, author: Any, moderator: Any
) -> None:
    listing = pending(author)
    prechecked(listing)
    moderation_approve(listing=listing, moderator=moderator)
    approval = ModerationEvent.objects.get(kind="approved")

    assert console.get(EVENTS).status_code == 200
    only_approvals = console.get(EVENTS, {"kind__exact": "approved"})
    assert [event.pk for event in only_approvals.context["cl"].result_list] == [approval.pk]
    page = console.get(f"{EVENTS}{approval.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert console.get(f"{EVENTS}add/").status_code == 403
    assert console.post(f"{EVENTS}{approval.pk}/delete/").status_code == 403


# --- Who may -----------------------------------------------------------------------------------


def test_the_moderators_group_has_exactly_the_consoles_permissions() -> None:
    group = Group.objects.get(name=MODERATORS_GROUP)

    granted = {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }

    assert granted == {
        "moderation.view_reviewitem",
        "moderation.change_reviewitem",
        "moderation.view_moderationevent",
        "listings.view_listing",
        "listings.view_listingmedia",
        "listings.view_report",
    }


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/accounts/auditentry/",
        "/admin/auth/group/",
        "/admin/listings/exchangerate/",
        "/admin/listings/exchangerate/USD/change/",
    ],
)
def test_moderators_cannot_open_users_rates_or_groups(console: Client, url: str) -> None:
    assert console.get(url).status_code == 403


def test_moderators_cannot_change_exchange_rates(console: Client) -> None:
    response = console.post(
        "/admin/listings/exchangerate/USD/change/", {"currency": "USD", "kgs_per_unit": "1"}
    )

    assert response.status_code == 403


def test_the_admin_index_shows_a_moderator_only_the_console(console: Client) -> None:
    apps = {app["app_label"] for app in console.get("/admin/").context["app_list"]}

    assert apps == {"moderation", "listings"}


def test_an_ordinary_user_is_sent_to_the_admin_login(author: Any) -> None:
    listing = pending(author)
    client = Client()
    client.force_login(author)

    for url in (QUEUE, f"{QUEUE}{listing.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    response = client.post(f"{QUEUE}{listing.pk}/approve/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert Listing.objects.get(pk=listing.pk).status == "pending_review"


def test_admins_use_the_console_too(author: Any) -> None:
    admin = user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None)
    listing = pending(author)
    client = Client()
    client.force_login(admin)

    assert listed(client.get(QUEUE)) == [listing.pk]
    run_action(client, "approve_selected", listing)

    assert Listing.objects.get(pk=listing.pk).status == "active"


# --- Escaping ----------------------------------------------------------------------------------


def test_html_in_a_listing_is_shown_as_text(console: Client, author: Any) -> None:
    script = "<script>alert(1)</script>"
    listing = pending(author, title=f"{script} Camry", description=f"<b>bold</b> {script}")
    prechecked(listing, reasons=[f"Reason {script}"])

    for url in (QUEUE, f"{QUEUE}{listing.pk}/change/"):
        page = console.get(url).content.decode()
        assert script not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in console.get(f"{QUEUE}{listing.pk}/change/").content.decode()


# --- Content Security Policy --------------------------------------------------------------------

# A <script> the CSP would block: no src, and not a JSON data island (which never runs).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)


def test_console_pages_carry_the_csp_and_need_no_inline_script(
    console: Client, author: Any
) -> None:
    listing = pending(author, title="<script>alert(1)</script> Camry")
    prechecked(listing)
    pages = [
        "/admin/",
        QUEUE,
        f"{QUEUE}{listing.pk}/change/",
        EVENTS,
        "/admin/listings/listing/",
        f"/admin/listings/listing/{listing.pk}/change/",
    ]

    for page in pages:
        response = console.get(page)
        assert response.status_code == 200, page
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in response["Content-Security-Policy"].split(";")
        )
        assert policy["script-src"] == "'self'", page
        assert policy["frame-ancestors"] == "'none'"
        assert INLINE_SCRIPT.findall(response.content.decode()) == [], page
