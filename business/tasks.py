"""Periodic sweep (scheduled in CELERY_BEAT_SCHEDULE): safe to run twice at once."""

from celery import shared_task

from .services.subscriptions import subscriptions_lapse


@shared_task(name="business.lapse_subscriptions")
def lapse_subscriptions_task() -> dict[str, int]:
    """Every 10 minutes: ended periods turn `past_due`, and `canceled` after the grace period."""
    lapsed = subscriptions_lapse()
    return {"past_due": lapsed.past_due, "canceled": lapsed.canceled}
