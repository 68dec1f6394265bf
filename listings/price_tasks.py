from marketplace.celery import app

from .services.prices import listings_recompute_prices


@app.task(name="listings.recompute_prices")
def recompute_prices_task() -> int:
    return listings_recompute_prices()
