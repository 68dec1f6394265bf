"""OpenAPI post-processing: every operation documents the contract's error shape."""

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "A stable machine word."},
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
            },
        }
    },
}

_COMMON = {
    "400": "Invalid input.",
    "401": "Not authenticated, or the token is not valid.",
    "403": "The caller lacks the role this needs.",
    "404": "Not found (also: not visible to the caller).",
    "429": "Throttled; see Retry-After.",
    "500": "Unexpected error.",
    # Any operation, when the database (or, for security limits, Redis) cannot be reached.
    "503": "Temporarily unavailable; retry after Retry-After seconds.",
}


def add_error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in _COMMON.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
