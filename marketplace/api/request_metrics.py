import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

from core.metrics import record_active_user, refresh_pool_gauges
from core.request_context import route_of

# What every request costs the metrics: one counter increment and one histogram observation
# (each a write to this process's file in multiprocess mode).
requests_answered = Counter(
    "marketplace_http_requests",
    "HTTP requests answered, by URL route, method and status.",
    ["route", "method", "status"],
)
request_duration = Histogram(
    "marketplace_http_request_duration_seconds",
    "Time to answer an HTTP request, middleware included, by URL route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Anything else is one label value: a client cannot grow the series by sending made-up methods.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    """Times and counts each request by its URL route (the pattern, never the path: the
    series stay bounded), counts its user as active (DRF's authentication has set
    `request.user` by then) and refreshes this process's database pool gauges."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_of(request) or "unmatched"
        method = request.method if request.method in _METHODS else "other"
        requests_answered.labels(route, method, str(response.status_code)).inc()
        request_duration.labels(route).observe(time.perf_counter() - started)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            record_active_user(user.pk)
        refresh_pool_gauges()
        return response
