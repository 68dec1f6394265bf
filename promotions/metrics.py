from collections.abc import Iterable

from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from core.metrics import cached_figures

from .reports import promotion_figures

revenue = Counter(
    "marketplace_payments_revenue",
    "Money received by succeeded payments, by currency.",
    ["currency"],
)
refunds = Counter(
    "marketplace_payments_refunded",
    "Money refunded, by currency.",
    ["currency"],
)

CACHE_KEY = "metrics:promotion-figures"


def promotion_gauges() -> Iterable[GaugeMetricFamily]:
    """Promotions running now and payments by status: the figures `marketplace_stats` shows,
    cached briefly so a fast scrape costs two queries every 15 s."""
    figures = cached_figures(CACHE_KEY, lambda: promotion_figures(timezone.now()))
    yield GaugeMetricFamily(
        "marketplace_promotions_active",
        "Promotions boosting a listing now.",
        value=figures["active_promotions"],
    )
    payments = GaugeMetricFamily("marketplace_payments", "Payments, by status.", labels=["status"])
    for status, count in figures["payments_by_status"].items():
        payments.add_metric([status], count)
    yield payments
