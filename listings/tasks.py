"""Background work on listings' media; enqueued after commit, by name."""

from typing import Any

from marketplace.celery import ExternalCallTask, app

from .services.media import ENCODE_TIMEOUT_S, media_process_video


@app.task(
    name="listings.process_video",
    base=ExternalCallTask,  # acks late, retries when the storage (S3) cannot be reached
    # Above ffmpeg's own timeout, so a stuck encode ends as `failed` rather than killed.
    soft_time_limit=ENCODE_TIMEOUT_S * 2 + 120,
    time_limit=ENCODE_TIMEOUT_S * 2 + 180,
)
def process_video_task(*, media_id: Any) -> None:
    media_process_video(media_id=media_id)
