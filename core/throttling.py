"""DRF's ordinary throttles, failing open, keyed by the real client address and counted in
fixed windows in Redis.

Per the Redis policy these are comfort limits: when Redis cannot be reached the request is
logged and allowed. Security limits (OTP, login) use their own fail-closed counters instead.

DRF's own throttles keep a list of every request's time in the cache, read and written back
whole on each request: two round trips, a list as long as the rate to decode and encode, and
two concurrent requests each writing back a list without the other's. Here each request is
one atomic count in a window of the rate's length (`core.counters`); without Redis (`make
run`) DRF's own way is kept.
"""

import logging
from typing import Any

from django.conf import settings
from rest_framework import throttling

from .client_ip import client_ip
from .counters import hit_window

logger = logging.getLogger(__name__)


class FailOpenMixin:
    def get_ident(self, request: Any) -> str:
        return client_ip(request)

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception:
            logger.warning("Throttle store unavailable; allowing the request", exc_info=True)
            return True


class WindowCounted(throttling.SimpleRateThrottle):
    """DRF's rate and key, counted in a fixed window in Redis."""

    retry_after: int | None = None
    num_requests: int  # set from the rate by DRF
    duration: int

    def allow_request(self, request: Any, view: Any) -> bool:
        if not settings.REDIS_URL:
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        count, self.retry_after = hit_window(f"throttle:{self.key}", self.duration)
        return count <= self.num_requests

    def wait(self) -> float | None:
        if self.retry_after is None:
            return super().wait()
        return self.retry_after


class AnonRateThrottle(FailOpenMixin, throttling.AnonRateThrottle, WindowCounted):
    pass


class UserRateThrottle(FailOpenMixin, throttling.UserRateThrottle, WindowCounted):
    """Signed-in callers. Anonymous ones are AnonRateThrottle's (a lower rate): counting them
    here as well would only cost every anonymous swipe a second trip to Redis."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(FailOpenMixin, throttling.ScopedRateThrottle, WindowCounted):
    """Abuse limits: a view's `throttle_scope` (a rate in DEFAULT_THROTTLE_RATES) counts its
    writes only — creating a listing, a report, an upload, an invitation — per user (per
    address when anonymous). Reading the same view is left to the ordinary throttles."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
