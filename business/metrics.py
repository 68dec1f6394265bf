import contextlib
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from .models import Business, SubscriptionStatus

CACHE_KEY = "metrics:business"
CACHE_SECONDS = 15


def business_gauges() -> Iterable[GaugeMetricFamily]:
    """Businesses by subscription status, cached briefly like the other gauges so a fast
    scrape costs one query every 15 s."""
    try:
        figures = cache.get(CACHE_KEY)
    except Exception:
        figures = None  # a cache outage must not hide the metrics
    if figures is None:
        figures = dict(
            Business.objects.order_by()
            .values_list("subscription_status")
            .annotate(n=Count("pk"))
            .values_list("subscription_status", "n")
        )
        with contextlib.suppress(Exception):  # as above: metrics work without the cache
            cache.set(CACHE_KEY, figures, CACHE_SECONDS)
    gauge = GaugeMetricFamily(
        "marketplace_businesses", "Businesses, by subscription status.", labels=["status"]
    )
    for status in SubscriptionStatus.values:
        gauge.add_metric([status], figures.get(status, 0))
    yield gauge
