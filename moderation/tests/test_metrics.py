"""The moderation figures on /metrics: queue size, oldest wait, decisions by outcome."""

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.services.listings import listing_submit
from listings.tests.conftest import add_image, client_for, create

pytestmark = pytest.mark.django_db


def sample(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert match, f"{name}{labels} not in /metrics"
    return float(match.group(1))


def test_queue_gauges_and_decision_counters(
    author: Any, moderator: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    before = client.get("/metrics").content.decode()
    approved_before = (
        sample(before, "marketplace_moderation_decisions_total", '{outcome="approved"}')
        if 'outcome="approved"' in before
        else 0.0
    )
    ids = []
    for _ in range(2):
        listing_id = create(author).json()["id"]
        add_image(listing_id)
        listing_submit(listing=Listing.objects.get(pk=listing_id), actor=author)
        ids.append(listing_id)
    cache.clear()

    pending = client.get("/metrics").content.decode()
    assert sample(pending, "marketplace_moderation_queue_size") == 2
    assert sample(pending, "marketplace_moderation_oldest_pending_seconds") >= 0

    with django_capture_on_commit_callbacks(execute=True):
        client_for(moderator).post(f"/api/v1/moderation/listings/{ids[0]}/approve/")
    cache.clear()
    after = client.get("/metrics").content.decode()
    assert sample(after, "marketplace_moderation_queue_size") == 1

    # A report puts the approved listing back in the queue, as moderators and
    # marketplace_stats see it.
    reported = client_for(UserFactory()).post(
        f"/api/v1/listings/{ids[0]}/report/", {"reason": "fraud"}, format="json"
    )
    assert reported.status_code in (200, 201), reported.content
    cache.clear()
    reopened = client.get("/metrics").content.decode()
    assert sample(reopened, "marketplace_moderation_queue_size") == 2
    assert (
        sample(after, "marketplace_moderation_decisions_total", '{outcome="approved"}')
        == approved_before + 1
    )
