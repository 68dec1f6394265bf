from collections.abc import Iterable

from django.db.models import Count
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from core.metrics import cached_figures

from .models import Category, Listing, Status

created = Counter(
    "marketplace_listings_created", "Listings created (as drafts), by category.", ["category"]
)
# Every category shows from the first scrape, at 0, so rate() sees its first listing.
for _category in Category.values:
    created.labels(_category)


def _count_by_status() -> dict[str, int]:
    return dict(
        Listing.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


def status_gauges() -> Iterable[GaugeMetricFamily]:
    figures = cached_figures("metrics:listings-by-status", _count_by_status)
    gauge = GaugeMetricFamily("marketplace_listings", "Listings, by status.", labels=["status"])
    for status in Status.values:
        gauge.add_metric([status], figures.get(status, 0))
    yield gauge
