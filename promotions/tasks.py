"""Periodic sweeps (scheduled in CELERY_BEAT_SCHEDULE): both are safe to run twice at once."""

from celery import shared_task

from .services.payments import payments_expire_unpaid
from .services.promotions import promotions_expire


@shared_task(name="promotions.expire_promotions")
def expire_promotions_task() -> int:
    """Every minute: promotions whose paid days ran out stop counting."""
    return len(promotions_expire())


@shared_task(name="promotions.expire_unpaid_payments")
def expire_unpaid_payments_task() -> int:
    """Every minute: payments left unpaid for 30 minutes expire."""
    return payments_expire_unpaid()
