"""OpenAPI: every operation lists the error statuses it can answer, each with the exact codes.

An operation's codes are those that follow from what it is (authenticated, throttled, takes a
body, has an id in its path), plus the ones its view declares with `@error_codes(...)`: the
contract's domain errors it raises, and any generic code its service adds (a 404 for an id in
the body). Each status's `Error.error.code` is an enum of exactly those codes, so a typed
client can switch over them. `tests/test_error_codes.py` holds the declarations to what the
test suite sees the API answer.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny, IsAuthenticated

from .errors import DomainError

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "A stable machine word; each response lists the ones it "
                    "can carry.",
                },
                "message": {"type": "string", "description": "Localized, human readable."},
                "fields": {
                    "type": "object",
                    "description": "Validation errors by (dotted) field name.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                # The contract's few codes that add a field beside `code` (DomainError.extra).
                # Declared rather than allowing any key, so the typed client has no `unknown`.
                "attempts_left": {
                    "type": "integer",
                    "description": "With `invalid_code`: tries left before the code is burned.",
                },
                "max_pixels": {
                    "type": "integer",
                    "description": "With `image_too_large`: the most pixels this picture may have.",
                },
                "max_duration_s": {
                    "type": "integer",
                    "description": "With `video_too_long`: the longest video accepted, in seconds.",
                },
            },
        }
    },
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

# Generic codes a view may declare beside its DomainError classes (DRF's and Django's own
# exceptions, which the handler maps to these).
ErrorSource = type[DomainError] | tuple[int, str]
NOT_FOUND: ErrorSource = (404, "not_found")
TOKEN_NOT_VALID: ErrorSource = (401, "token_not_valid")

_STATUS_TEXT = {
    400: "Invalid input.",
    401: "Not authenticated, or the token is not valid: log in or refresh.",
    403: "The caller lacks the role this needs, or a rule refuses it.",
    404: "Not found (also: not visible to the caller).",
    409: "The object's state does not allow this.",
    413: "The request body is too large.",
    415: "The body's type is not one this accepts.",
    429: "Throttled; retry after Retry-After seconds.",
    503: "Temporarily unavailable; retry after Retry-After seconds (when sent).",
}

Handler = TypeVar("Handler", bound=Callable[..., Any])


def error_codes(*sources: ErrorSource) -> Callable[[Handler], Handler]:
    """Declare the error codes a view method answers beyond those its kind implies: its
    DomainError classes, or `(status, code)` pairs."""

    def declare(handler: Handler) -> Handler:
        handler.error_codes = sources  # type: ignore[attr-defined]
        return handler

    return declare


def _status_and_code(source: ErrorSource) -> tuple[int, str]:
    if isinstance(source, tuple):
        return source
    return source.status_code, source.code


def error_variant(codes: set[str]) -> dict[str, Any]:
    """The Error shape with `code` narrowed to `codes`."""
    return {
        "allOf": [
            ERROR_REF,
            {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code"],
                        "properties": {"code": {"type": "string", "enum": sorted(codes)}},
                    }
                },
            },
        ]
    }


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, with each operation's error responses added."""

    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: Any,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        registry.register_on_missing(
            ResolvedComponent(
                name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
            )
        )
        responses = operation["responses"]
        if any(int(status) >= 400 for status in responses):
            # One source of truth: a hand-written error response would drift from the enums.
            raise ImproperlyConfigured(
                f"{method} {path}: declare errors with @error_codes, not in extend_schema"
            )
        for status, codes in sorted(self.error_codes(operation).items()):
            listed = ", ".join(f"`{code}`" for code in sorted(codes))
            responses[str(status)] = {
                "description": f"{_STATUS_TEXT[status]} Codes: {listed}.",
                "content": {"application/json": {"schema": error_variant(codes)}},
            }
        return operation

    def get_request_serializer(self) -> Any:
        if self.method == "DELETE":
            return None  # reached only when the view's extend_schema names no `request`
        return super().get_request_serializer()

    def _get_request_body(self, direction: str = "request") -> Any:
        if self.method != "DELETE" or self.get_request_serializer() is None:
            return super()._get_request_body(direction)
        # drf-spectacular leaves out every DELETE body; one a view declares with extend_schema
        # (removing a push token names the token) is real, and the client must send it.
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def error_codes(self, operation: dict[str, Any]) -> dict[int, set[str]]:
        codes: dict[int, set[str]] = defaultdict(set)
        view = self.view
        # The database (or, for security limits, Redis) out of reach: any operation.
        codes[503].add("service_unavailable")
        if view.get_authenticators():
            # A bearer token that is bad answers 401, even where no login is needed.
            codes[401].add("token_not_valid")
        permissions = view.get_permissions()
        if any(not isinstance(permission, AllowAny) for permission in permissions):
            codes[401].add("not_authenticated")
        # A role check beyond logging in (a moderator's) refuses the logged-in others.
        if any(not isinstance(p, (AllowAny, IsAuthenticated)) for p in permissions):
            codes[403].add("permission_denied")
        if view.get_throttles():
            codes[429].add("throttled")
        parameters = operation.get("parameters", [])
        if any(parameter["in"] == "path" for parameter in parameters):
            codes[404].add("not_found")
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            codes[400].add("invalid")
        if "requestBody" in operation:
            codes[413].add("payload_too_large")
            codes[415].add("unsupported_media_type")
        for source in self._declared():
            status, code = _status_and_code(source)
            codes[status].add(code)
        return codes

    def _declared(self) -> tuple[ErrorSource, ...]:
        action = getattr(self.view, "action", None) or self.method.lower()
        return getattr(getattr(self.view, action, None), "error_codes", ())
