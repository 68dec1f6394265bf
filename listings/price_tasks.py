from celery import shared_task

from .services.prices import listings_recompute_prices


@shared_task(name="listings.recompute_prices")
def recompute_prices_task() -> int:
    return listings_recompute_prices()
