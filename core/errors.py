"""The contract's one error shape, and the one handler that produces it.

Every error under /api/ leaves as
`{"error": {"code": ..., "message": ..., "fields"?: {...}, <extra>?}}` — whatever raised it.
Services raise `DomainError` subclasses carrying the contract's `code`; views never build
error bodies by hand.
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

MESSAGES: dict[str, Any] = {
    "invalid": _("Some of the data sent is not valid."),
    "not_authenticated": _("Log in to continue."),
    "token_not_valid": _("Your session is not valid or has expired. Log in again."),
    "permission_denied": _("You do not have permission to do this."),
    "not_found": _("Not found."),
    "method_not_allowed": _("This method is not allowed here."),
    "not_acceptable": _("The requested response format is not available."),
    "payload_too_large": _("The request is too large."),
    "unsupported_media_type": _("This type of content is not supported."),
    "throttled": _("Too many requests. Try again later."),
    "service_unavailable": _("The service is temporarily unavailable. Try again shortly."),
    "server_error": _("Something went wrong on our side. Try again later."),
}


# Codes of DomainError subclasses: a validation error whose every field error carries one of
# these codes answers with that code (a malformed phone is `invalid_phone`, not `invalid`).
DOMAIN_CODES: dict[str, Any] = {}


class DomainError(Exception):
    """A refusal the contract names. Subclass per code, in the app that owns it."""

    status_code = 400
    code = "invalid"
    message: Any = MESSAGES["invalid"]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.status_code == 400:
            DOMAIN_CODES[cls.code] = cls.message

    def __init__(
        self,
        message: Any = None,
        *,
        fields: Mapping[str, list[str]] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if message is not None:
            self.message = message
        self.fields = dict(fields) if fields else None
        self.extra = dict(extra) if extra else {}
        self.headers = dict(headers) if headers else {}
        super().__init__(str(self.message))


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"
    message = MESSAGES["service_unavailable"]


class RateLimited(DomainError):
    """A security limit was reached; `retry_after` seconds until it lets the caller through."""

    status_code = 429
    code = "throttled"
    message = MESSAGES["throttled"]

    def __init__(self, retry_after: int, message: Any = None) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after)))})
        self.retry_after = max(1, int(retry_after))


# Seconds a client should wait before retrying after a 503 for an unreachable database.
DATABASE_RETRY_AFTER = 5


def is_database_unavailable(exc: BaseException | None) -> bool:
    """A refused or lost connection, a pool that gave none in time, a cancelled statement or a
    deadlock: the database failed, not the request, and the same request may succeed later."""
    return isinstance(exc, OperationalError | InterfaceError)


def error_body(
    code: str,
    message: Any = None,
    *,
    fields: Mapping[str, list[str]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": str(message or MESSAGES.get(code, code))}
    if fields:
        error["fields"] = dict(fields)
    if extra:
        error.update({key: value for key, value in extra.items() if key not in error})
    return {"error": error}


def flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → `{"details.year": [...], "non_field_errors": [...]}`."""
    out: dict[str, list[str]] = {}

    def add(key: str, message: Any) -> None:
        out.setdefault(key or api_settings.NON_FIELD_ERRORS_KEY, []).append(str(message))

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list | tuple):
            if all(not isinstance(item, Mapping | list | tuple) for item in node):
                for item in node:
                    add(path, item)
            else:
                for index, item in enumerate(node):
                    if item:
                        walk(item, f"{path}.{index}" if path else str(index))
        else:
            add(path, node)

    walk(detail, prefix)
    return out


_DRF_CODES: tuple[tuple[type[drf.APIException], str], ...] = (
    (drf.NotAuthenticated, "not_authenticated"),
    (drf.AuthenticationFailed, "token_not_valid"),
    (drf.PermissionDenied, "permission_denied"),
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (drf.Throttled, "throttled"),
    (drf.ParseError, "invalid"),
)


def _leaf_codes(codes: Any) -> list[set[str]]:
    if isinstance(codes, Mapping):
        return [leaf for value in codes.values() for leaf in _leaf_codes(value)]
    if isinstance(codes, list | tuple):
        return [leaf for value in codes for leaf in _leaf_codes(value)]
    return [{str(codes)}]


def _response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JsonResponse:
    # A plain JsonResponse, not DRF's Response: errors are JSON even from views whose
    # renderers are not (the OpenAPI schema's YAML), and content negotiation cannot fail.
    return JsonResponse(body, status=status, headers=headers)


def _from_api_exception(exc: drf.APIException) -> JsonResponse:
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if isinstance(exc, drf.ValidationError):
        codes = {code for leaf in _leaf_codes(exc.get_codes()) for code in leaf}
        if len(codes) == 1 and next(iter(codes)) in DOMAIN_CODES:
            code = codes.pop()
            return _response(
                400, error_body(code, DOMAIN_CODES[code], fields=flatten_fields(exc.detail))
            )
        return _response(400, error_body("invalid", fields=flatten_fields(exc.detail)))
    if isinstance(exc, drf.Throttled):
        wait = getattr(exc, "wait", None)
        if wait is not None:
            headers["Retry-After"] = str(max(1, int(wait)))
        return _response(429, error_body("throttled"), headers)
    if isinstance(exc, drf.ParseError):
        return _response(400, error_body("invalid", exc.detail))
    for klass, code in _DRF_CODES:
        if isinstance(exc, klass):
            # 401 without a WWW-Authenticate header is how DRF spells 403; trust the status.
            if code in ("not_authenticated", "token_not_valid") and exc.status_code == 403:
                code = "permission_denied"
            return _response(exc.status_code, error_body(code), headers)
    code = exc.default_code if isinstance(exc.default_code, str) else "invalid"
    return _response(exc.status_code, error_body(code, exc.detail), headers)


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> JsonResponse:
    """DRF's EXCEPTION_HANDLER: every exception raised in an API view becomes the error shape."""
    set_rollback()
    if isinstance(exc, DomainError):
        body = error_body(exc.code, exc.message, fields=exc.fields, extra=exc.extra)
        return _response(exc.status_code, body, exc.headers)
    if isinstance(exc, drf.APIException):
        return _from_api_exception(exc)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return _response(404, error_body("not_found"))
    if isinstance(exc, DjangoPermissionDenied):
        return _response(403, error_body("permission_denied"))
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return _response(413, error_body("payload_too_large"))
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        return _response(400, error_body("invalid", fields=flatten_fields(detail)))
    if is_database_unavailable(exc):
        logger.warning("Database unavailable: %s", exc)
        return _response(
            503, error_body("service_unavailable"), {"Retry-After": str(DATABASE_RETRY_AFTER)}
        )
    view = context.get("view")
    logger.exception("Unhandled exception in %s", type(view).__name__ if view else "API view")
    return _response(500, error_body("server_error"))
