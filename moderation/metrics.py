from collections.abc import Iterable

from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from core.metrics import cached_figures

from .reports import queue_figures

decisions = Counter(
    "marketplace_moderation_decisions",
    "Moderation decisions, by outcome (approved, rejected, reports_dismissed, auto_approved).",
    ["outcome"],
)


def queue_gauges() -> Iterable[GaugeMetricFamily]:
    """The moderators' queue (in review, or active with open reports) as `marketplace_stats`
    counts it, cached briefly (`cached_figures`)."""
    figures = cached_figures("metrics:moderation-queue", lambda: queue_figures(timezone.now()))
    yield GaugeMetricFamily(
        "marketplace_moderation_queue_size",
        "Listings in the moderators' queue: in review, or active with open reports.",
        value=figures["queue_size"],
    )
    yield GaugeMetricFamily(
        "marketplace_moderation_oldest_pending_seconds",
        "How long the listing longest in the moderators' queue has waited.",
        value=figures["oldest_waiting_seconds"],
    )
