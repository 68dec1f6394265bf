"""Business gauges computed when Prometheus scrapes, and the registry the /metrics view serves.

Counters (decisions, messages...) live in each app as ordinary prometheus_client metrics; in
multiprocess mode they are summed across workers from their files. Gauges that need a query
are collectors registered here and evaluated at scrape time, not on every request; they keep
their figures in the cache for CACHE_SECONDS (`cached_figures`).

Two figures are kept per process, by `marketplace.api.request_metrics`: the distinct users
seen in the last 24 hours (a HyperLogLog per hour in Redis, no database write) and the
database connection pool's state. Every database statement's duration is timed by
`time_query`, which the PostgreSQL backend (marketplace/postgres) wraps around each one.
"""

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

import prometheus_client
import redis
from django.conf import settings
from django.db import connections
from prometheus_client import Gauge, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .microcache import microcached

logger = logging.getLogger(__name__)

GaugeFunction = Callable[[], Iterable[GaugeMetricFamily]]
_gauges: list[GaugeFunction] = []

CACHE_SECONDS = 15
T = TypeVar("T")


def register_scrape_gauges(function: GaugeFunction) -> None:
    """`function()` yields GaugeMetricFamily objects; it runs once per scrape."""
    if function not in _gauges:
        _gauges.append(function)


def cached_figures(key: str, compute: Callable[[], T]) -> T:
    """`compute()`'s result, kept for CACHE_SECONDS (core.microcache: in Redis, in this process
    while Redis fails) so several Prometheus servers or a fast scrape interval cost one query
    each 15 s."""
    return microcached(key, CACHE_SECONDS, compute)


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


# --- Active users -----------------------------------------------------------------------------

ACTIVE_USERS_HOURS = 24
_ACTIVE_USERS_KEY = "metrics:active-users:{hour}"

# Users this process already reported in the current hour: Redis hears of each once an hour
# per process, not on every request.
_reported_lock = threading.Lock()
_reported: dict[int, set[str]] = {}
# Without Redis (`make run`, one process) the hourly sets themselves live here.
_local_hours: dict[int, set[str]] = {}


@lru_cache(maxsize=4)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def _hour(now: float) -> int:
    return int(now // 3600)


def record_active_user(user_id: Any) -> None:
    """Count `user_id` as active this hour. Never raises: a Redis outage loses the figure."""
    hour = _hour(time.time())
    member = str(user_id)
    with _reported_lock:
        seen = _reported.setdefault(hour, set())
        if member in seen:
            return
        seen.add(member)  # before the write, so an unreachable Redis is tried once an hour
        for old in [h for h in _reported if h != hour]:
            del _reported[old]
        if not settings.REDIS_URL:
            _local_hours.setdefault(hour, set()).add(member)
            for old in [h for h in _local_hours if h <= hour - ACTIVE_USERS_HOURS]:
                del _local_hours[old]
            return
    key = _ACTIVE_USERS_KEY.format(hour=hour)
    try:
        pipe = _redis(str(settings.REDIS_URL)).pipeline(transaction=False)
        pipe.pfadd(key, member)
        pipe.expire(key, (ACTIVE_USERS_HOURS + 1) * 3600)
        pipe.execute()
    except redis.RedisError:
        logger.warning("Active-user store unavailable; user %s not counted this hour", user_id)


def active_users_gauges() -> Iterable[GaugeMetricFamily]:
    """Distinct users with an authenticated request in the last 24 hourly buckets: Redis's
    HyperLogLog union (about 1% error), or this process's sets without Redis."""
    hour = _hour(time.time())
    hours = range(hour - ACTIVE_USERS_HOURS + 1, hour + 1)
    if settings.REDIS_URL:
        keys = [_ACTIVE_USERS_KEY.format(hour=h) for h in hours]
        count = int(_redis(str(settings.REDIS_URL)).pfcount(*keys))
    else:
        with _reported_lock:
            count = len(set().union(*(_local_hours.get(h, set()) for h in hours)))
    yield GaugeMetricFamily(
        "marketplace_active_users",
        "Distinct users with an authenticated request in the last 24 hours.",
        value=count,
    )


register_scrape_gauges(active_users_gauges)


# --- Database connection pool -----------------------------------------------------------------

# Each process has its own pool: these are set by the process after each request it serves and
# summed across the live ones, so they add up to what PostgreSQL sees. A scrape-time gauge
# would show only the worker that happens to answer the scrape.
pool_size = Gauge(
    "marketplace_db_pool_size",
    "Connections the database pools hold (in use or idle).",
    multiprocess_mode="livesum",
)
pool_available = Gauge(
    "marketplace_db_pool_available",
    "Idle connections in the database pools.",
    multiprocess_mode="livesum",
)
pool_requests_waiting = Gauge(
    "marketplace_db_pool_requests_waiting",
    "Requests waiting for a database connection.",
    multiprocess_mode="livesum",
)


def refresh_pool_gauges() -> None:
    """Copy this process's pool figures (psycopg_pool's get_stats()) into the gauges, after a
    request that used the database; nothing without a pool (SQLite under `make run`)."""
    connection = connections["default"]
    # Only a connection taken from the pool proves it exists: reading `.pool` would create one
    # from the settings of the moment (before the test database is set up, for one).
    if connection.connection is None:
        return
    pool = getattr(connection, "pool", None)
    if pool is None:
        return
    stats = pool.get_stats()
    pool_size.set(stats.get("pool_size", 0))
    pool_available.set(stats.get("pool_available", 0))
    pool_requests_waiting.set(stats.get("requests_waiting", 0))


# --- Database queries -------------------------------------------------------------------------

# django-prometheus's django_db_query_duration_seconds shares the HTTP latency buckets, whose
# first is 10 ms, where most statements have long finished; these resolve the milliseconds.
query_duration = Histogram(
    "marketplace_db_query_duration_seconds",
    "Time the database took to run a statement (a batch counts once), by connection alias "
    "and kind of statement.",
    ["alias", "statement"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
_STATEMENTS = frozenset({"select", "insert", "update", "delete"})


def time_query(
    execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """A Django execute wrapper (`connection.execute_wrappers`) observing `query_duration`."""
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed = time.perf_counter() - started
        # The first word names the kind; savepoints, CTEs and the like are `other`.
        word = sql.lstrip()[:6].lower() if isinstance(sql, str) else ""
        statement = word if word in _STATEMENTS else "other"
        query_duration.labels(context["connection"].alias, statement).observe(elapsed)
