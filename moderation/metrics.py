import contextlib
from collections.abc import Iterable

from django.core.cache import cache
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from listings.models import Listing, Status

decisions = Counter(
    "marketplace_moderation_decisions",
    "Moderation decisions, by outcome (approved, rejected, reports_dismissed, auto_approved).",
    ["outcome"],
)

CACHE_KEY = "metrics:moderation-queue"
CACHE_SECONDS = 15


def queue_gauges() -> Iterable[GaugeMetricFamily]:
    """Pending queue size and the oldest pending listing's wait, cached briefly so several
    Prometheus servers or a fast scrape interval cost one query each 15 s."""
    try:
        figures = cache.get(CACHE_KEY)
    except Exception:
        figures = None  # a cache outage must not hide the metrics
    if figures is None:
        pending = Listing.objects.filter(status=Status.PENDING_REVIEW)
        oldest = (
            pending.order_by("review_requested_at")
            .values_list("review_requested_at", flat=True)
            .first()
        )
        age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        figures = (pending.count(), age)
        with contextlib.suppress(Exception):  # as above: metrics work without the cache
            cache.set(CACHE_KEY, figures, CACHE_SECONDS)
    size, age = figures
    yield GaugeMetricFamily(
        "marketplace_moderation_queue_size", "Listings waiting for review.", value=size
    )
    yield GaugeMetricFamily(
        "marketplace_moderation_oldest_pending_seconds",
        "How long the oldest listing in review has waited.",
        value=age,
    )
