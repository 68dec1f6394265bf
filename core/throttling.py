"""DRF's ordinary throttles, failing open and keyed by the real client address.

Per the Redis policy these are comfort limits: when their cache cannot be reached the
request is logged and allowed. Security limits (OTP, login) use their own fail-closed
counters instead.
"""

import logging
from typing import Any

from rest_framework import throttling

from .client_ip import client_ip

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


class AnonRateThrottle(FailOpenMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpenMixin, throttling.UserRateThrottle):
    """Signed-in callers. Anonymous ones are AnonRateThrottle's (a lower rate): counting them
    here as well would only cost every anonymous swipe a second trip to Redis."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(FailOpenMixin, throttling.ScopedRateThrottle):
    """Abuse limits: a view's `throttle_scope` (a rate in DEFAULT_THROTTLE_RATES) counts its
    writes only — creating a listing, a report, an upload, an invitation — per user (per
    address when anonymous). Reading the same view is left to the ordinary throttles."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
