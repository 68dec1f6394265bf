"""The AI pre-check, off the request path; enqueued by name after a listing enters review."""

from datetime import timedelta
from typing import Any

from celery import shared_task

from .services import listings_missing_precheck, moderation_precheck


@shared_task(
    name="moderation.precheck_listing",
    acks_late=True,
    reject_on_worker_lost=True,
    # The adapter already retries Anthropic's transient errors and never raises for them;
    # a database hiccup is worth another go.
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=5,
    max_retries=5,
    # The adapter may take 4 attempts of 20 s plus backoff before it settles on needs_review.
    soft_time_limit=180,
    time_limit=240,
)
def precheck_listing_task(*, listing_id: Any) -> None:
    moderation_precheck(listing_id=listing_id)


@shared_task(name="moderation.requeue_missing_prechecks")
def requeue_missing_prechecks_task() -> int:
    """The sweep behind the Redis policy: listings in review whose pre-check never ran."""
    missing = listings_missing_precheck(older_than=timedelta(minutes=5))
    for listing_id in missing:
        precheck_listing_task.apply_async(kwargs={"listing_id": str(listing_id)})
    return len(missing)
