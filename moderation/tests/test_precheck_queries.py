"""The pre-check's count of duplicates: what it counts, and that it is found through the
`UPPER(title)` index instead of by reading every listing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from listings.models import Listing, Status
from listings.services.listings import listing_submit
from listings.tests.conftest import CAR, add_image, create
from moderation.models import ModerationEvent
from moderation.services import moderation_precheck
from tests.plans import indexes_read, whole_reads

pytestmark = pytest.mark.django_db

TITLE, DESCRIPTION = CAR["title"], CAR["description"]


def listing(status: str, title: str = TITLE, description: str = DESCRIPTION) -> Listing:
    response = create(UserFactory(), title=title, description=description)
    assert response.status_code == 201, response.content
    Listing.objects.filter(pk=response.json()["id"]).update(status=status)
    return Listing.objects.get(pk=response.json()["id"])


def test_duplicates_are_the_active_and_pending_listings_with_the_same_title_and_text() -> None:
    # Given listings with the same title and description, in other letter cases, in review
    # and on sale; and others that do not count: sold, drafts, another description
    listing(Status.ACTIVE, TITLE.upper(), DESCRIPTION.lower())
    listing(Status.PENDING_REVIEW, TITLE.lower(), DESCRIPTION.upper())
    listing(Status.SOLD)
    listing(Status.DRAFT)
    listing(Status.ACTIVE, description="Another text altogether.")
    listing(Status.ACTIVE, title="Another title")
    author = UserFactory()
    mine = Listing.objects.get(pk=create(author).json()["id"])
    add_image(str(mine.pk))
    listing_submit(listing=mine, actor=author)

    # When its pre-check runs
    with CaptureQueriesContext(connection) as queries:
        event = moderation_precheck(listing_id=mine.pk)

    # Then two are counted, by a query that reads the title index, not the table
    assert isinstance(event, ModerationEvent)
    assert "duplicate" in event.reason_codes
    assert any("as 2 other active or pending listings" in reason for reason in event.reasons)
    [count] = [
        q["sql"] for q in queries.captured_queries if 'UPPER("listings_listing"."title"' in q["sql"]
    ]
    assert whole_reads(count) == []
    assert "listing_title_upper_idx" in indexes_read(count)
