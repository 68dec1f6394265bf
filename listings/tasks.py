"""Background work on listings: media processing and price recomputation; enqueued after
commit, by name."""

from datetime import timedelta
from typing import Any

from celery import shared_task

from core.tasks import ExternalCallTask

from .selectors import media_pending_videos
from .services.media import ENCODE_TIMEOUT_S, media_process_video
from .services.prices import listings_recompute_prices


@shared_task(
    name="listings.process_video",
    base=ExternalCallTask,  # acks late, retries when the storage (S3) cannot be reached
    # Above ffmpeg's own timeout, so a stuck encode ends as `failed` rather than killed.
    soft_time_limit=ENCODE_TIMEOUT_S * 2 + 120,
    time_limit=ENCODE_TIMEOUT_S * 2 + 180,
)
def process_video_task(*, media_id: Any) -> None:
    media_process_video(media_id=media_id)


@shared_task(name="listings.requeue_pending_videos")
def requeue_pending_videos_task() -> int:
    """The sweep behind the Redis policy: videos whose processing was never enqueued (the
    broker was down after the upload committed) are sent again. Processing is idempotent."""
    stale = media_pending_videos(older_than=timedelta(minutes=15))
    for media_id in stale:
        process_video_task.apply_async(kwargs={"media_id": str(media_id)})
    return len(stale)


@shared_task(name="listings.recompute_prices")
def recompute_prices_task() -> int:
    """Every listing's `prices` after an exchange rate changed."""
    return listings_recompute_prices()
