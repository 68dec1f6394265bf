import logging
import re
import time
import uuid
from collections.abc import Callable

import csp.constants
import csp.middleware
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext_lazy as _

from core.errors import error_body
from core.request_context import reset_request, reset_request_id, set_request, set_request_id

access_logger = logging.getLogger("marketplace.access")
security_logger = logging.getLogger("django.security.DisallowedHost")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_TOKEN_IN_QUERY = re.compile(r"((?:^|[&;?])[^&;=]*token=)[^&;]*", re.IGNORECASE)


def redact_query(query: str) -> str:
    """Hide the value of every `...token=` parameter (WebSocket clients may send one)."""
    return _TOKEN_IN_QUERY.sub(r"\1[redacted]", query)


class RequestIdMiddleware:
    """Gives every request an id (the caller's `X-Request-ID` when it is sane), returns it in
    `X-Request-ID`, and writes one access-log line with the query string redacted. Every
    record written meanwhile carries the id and, once the URL is resolved, its route."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        request_token = set_request(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            access_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "query": redact_query(request.META.get("QUERY_STRING", "")),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": str(user.pk) if user is not None and user.is_authenticated else None,
                },
            )
            return response
        finally:
            reset_request(request_token)
            reset_request_id(token)


class ApiHostMiddleware:
    """A request to the API with a `Host` outside ALLOWED_HOSTS answers 400 `invalid` in the
    contract's error shape, DEBUG or not, instead of Django's HTML (or debug) 400 page; other
    paths are left to Django."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                request.get_host()
            except DisallowedHost:
                security_logger.warning("Invalid HTTP_HOST header for %s", request.path)
                return JsonResponse(
                    error_body("invalid", _("The Host header is not allowed.")), status=400
                )
        return self.get_response(request)


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def pages_only(middleware: type[MiddlewareMixin]) -> type[MiddlewareMixin]:
    """`middleware` for every request but the API's (`/api/`), which needs none of what the
    admin and the HTML pages do: it authenticates by bearer token (DRF sets `request.user`),
    keeps no session and shows no messages. A subclass, so Django's checks still find it."""

    class PagesOnly(middleware):  # type: ignore[valid-type,misc]
        def __call__(self, request: HttpRequest) -> HttpResponse:
            if is_api(request):
                return self.get_response(request)
            return super().__call__(request)

    PagesOnly.__name__ = PagesOnly.__qualname__ = f"Page{middleware.__name__}"
    return PagesOnly


# A JSON answer is data, never rendered: its policy allows nothing at all (as OWASP advises for
# APIs).
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's policy for pages, and `JSON_POLICY` for JSON answers without building
    django-csp's again for each one (it is rebuilt from the settings for every response)."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if str(response.get("Content-Type", "")).startswith("application/json"):
            response.setdefault(csp.constants.HEADER, JSON_POLICY)
            return response
        return super().process_response(request, response)


PageSessionMiddleware = pages_only(SessionMiddleware)
PageAuthenticationMiddleware = pages_only(AuthenticationMiddleware)
PageMessageMiddleware = pages_only(MessageMiddleware)
