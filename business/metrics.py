from collections.abc import Iterable

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from core.metrics import cached_figures

from .reports import business_figures

CACHE_KEY = "metrics:business-figures"


def business_gauges() -> Iterable[GaugeMetricFamily]:
    """Businesses by subscription status: the figures `marketplace_stats` shows, cached
    briefly so a fast scrape costs one query every 15 s."""
    figures = cached_figures(CACHE_KEY, lambda: business_figures(timezone.now()))
    gauge = GaugeMetricFamily(
        "marketplace_businesses", "Businesses, by subscription status.", labels=["status"]
    )
    for status, count in figures["by_subscription_status"].items():
        gauge.add_metric([status], count)
    yield gauge
