import contextlib
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from .models import Payment, PaymentStatus, Promotion, PromotionStatus

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

CACHE_KEY = "metrics:promotions"
CACHE_SECONDS = 15


def promotion_gauges() -> Iterable[GaugeMetricFamily]:
    """Promotions running now and payments by status, cached briefly like the moderation
    gauges so a fast scrape costs two queries every 15 s."""
    try:
        figures = cache.get(CACHE_KEY)
    except Exception:
        figures = None  # a cache outage must not hide the metrics
    if figures is None:
        now = timezone.now()
        active = Promotion.objects.filter(
            status=PromotionStatus.ACTIVE, starts_at__lte=now, ends_at__gt=now
        ).count()
        by_status = dict(
            Payment.objects.order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        figures = (active, by_status)
        with contextlib.suppress(Exception):  # as above: metrics work without the cache
            cache.set(CACHE_KEY, figures, CACHE_SECONDS)
    active, by_status = figures
    yield GaugeMetricFamily(
        "marketplace_promotions_active", "Promotions boosting a listing now.", value=active
    )
    payments = GaugeMetricFamily("marketplace_payments", "Payments, by status.", labels=["status"])
    for status in PaymentStatus.values:
        payments.add_metric([status], by_status.get(status, 0))
    yield payments
