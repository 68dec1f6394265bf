"""Business gauges computed when Prometheus scrapes, and the registry the /metrics view serves.

Counters (decisions, messages...) live in each app as ordinary prometheus_client metrics; in
multiprocess mode they are summed across workers from their files. Gauges that need a query
are collectors registered here and evaluated at scrape time, not on every request.
"""

import logging
import os
from collections.abc import Callable, Iterable

import prometheus_client
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

GaugeFunction = Callable[[], Iterable[GaugeMetricFamily]]
_gauges: list[GaugeFunction] = []


def register_scrape_gauges(function: GaugeFunction) -> None:
    """`function()` yields GaugeMetricFamily objects; it runs once per scrape."""
    if function not in _gauges:
        _gauges.append(function)


class ScrapeTimeCollector(Collector):
    def collect(self) -> Iterable[Metric]:
        for function in _gauges:
            try:
                yield from function()
            except Exception:
                # A failing gauge must not take the request metrics down with it.
                logger.exception("Metrics gauge %s failed", getattr(function, "__name__", function))


def metrics_registry() -> prometheus_client.CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    return registry


def render_metrics() -> bytes:
    registry = metrics_registry()
    scrape_time = prometheus_client.CollectorRegistry()
    scrape_time.register(ScrapeTimeCollector())
    return prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(
        scrape_time
    )
