"""What moderation contributes to `marketplace_stats`: the review queue's size and wait."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Min

from .selectors import moderation_queue


def queue_figures(now: datetime) -> dict[str, Any]:
    # The queue as moderators see it: listings in review and reported active ones.
    queue = (
        moderation_queue(user=AnonymousUser())
        .order_by()
        .aggregate(size=Count("pk"), oldest=Min("waiting_since"))
    )
    oldest = queue["oldest"]
    return {
        "queue_size": queue["size"],
        "oldest_waiting_seconds": int((now - oldest).total_seconds()) if oldest else 0,
    }
