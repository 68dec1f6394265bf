import hmac
import logging
import sys
from typing import Any

import prometheus_client
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from core.client_ip import client_ip, is_loopback
from core.errors import DATABASE_RETRY_AFTER, error_body, is_database_unavailable
from core.metrics import render_metrics

logger = logging.getLogger(__name__)


@extend_schema(exclude=True)
class ApiNotFoundView(APIView):
    """The last /api/ route: any unknown path answers 404 in the error shape, DEBUG or not."""

    permission_classes = (AllowAny,)
    authentication_classes = ()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raise NotFound


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found"), status=404)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block, so the exception is still at hand: a
    # database that failed (in a middleware, the admin, or any non-DRF view) is a 503.
    if is_database_unavailable(sys.exc_info()[1]):
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
        if request.path.startswith("/api/"):
            return JsonResponse(error_body("service_unavailable"), status=503, headers=headers)
        return HttpResponse(
            "<!doctype html><title>503</title><h1>Service temporarily unavailable</h1>"
            "<p>Try again in a few seconds.</p>",
            status=503,
            headers=headers,
        )
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error"), status=500)
    return defaults.server_error(request)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. It checks nothing else, so a database outage does not
    get healthy processes restarted."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis() -> None:
    from redis import Redis

    client = Redis.from_url(str(settings.REDIS_URL), socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database and (when configured) Redis answer; 503 names what failed."""
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
        except Exception:
            logger.warning("Readiness check %s failed", name, exc_info=True)
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    failed = sorted(name for name, result in results.items() if result != "ok")
    body: dict[str, Any] = {"status": "unavailable" if failed else "ok", "checks": results}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)


def _bearer_matches(request: HttpRequest, token: str) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text; open to loopback callers, elsewhere only with METRICS_TOKEN."""
    token = settings.METRICS_TOKEN
    allowed = is_loopback(client_ip(request)) or (
        token is not None and _bearer_matches(request, token)
    )
    if not allowed:
        return JsonResponse(error_body("permission_denied"), status=403)
    return HttpResponse(render_metrics(), content_type=prometheus_client.CONTENT_TYPE_LATEST)
