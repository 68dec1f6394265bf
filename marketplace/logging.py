"""Logging: one JSON object per line in production, readable lines in development.

Every record, ours or a library's, goes through structlog's formatter, gains the current
request's id and URL route (`route`, the pattern that matched), and has any `token=` value
redacted, in the message and the fields alike (WebSocket clients may put their access token in
the query string, and servers log paths).
"""

import re
from typing import Any

import structlog

_TOKEN_VALUE = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)


def redact(text: str) -> str:
    return _TOKEN_VALUE.sub(r"\1[redacted]", text)


def _redact_event(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Last step before rendering: every value's text has its token values redacted (a
    request's repr carries its query string); values that need no change keep their type."""
    for key, value in event.items():
        if isinstance(value, int | float | bool | type(None)):
            continue
        text = value if isinstance(value, str) else str(value)
        redacted = redact(text)
        if redacted != text or not isinstance(value, str | list | tuple | dict):
            event[key] = redacted
    return event


def _add_request_context(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    from core.request_context import current_request_id, current_route, route_of

    # Django logs 4xx responses after the middleware has let go of the request; the request it
    # passes along still carries the id and the route.
    request_id = current_request_id() or getattr(event.get("request"), "request_id", None)
    if request_id and "request_id" not in event:
        event["request_id"] = request_id
    route = current_route() or route_of(event.get("request"))
    if route is not None and "route" not in event:
        event["route"] = route
    return event


def _drop_color_message(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    # uvicorn passes its message again with terminal colour codes; the line has it once.
    event.pop("color_message", None)
    return event


def build_logging_config(*, json_lines: bool, level: str) -> dict[str, Any]:
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
        _add_request_context,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    # Tracebacks become text before redaction, in both formats, so a token in an exception
    # message is redacted too (and the console shows no local variables).
    final: list[Any] = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        _redact_event,
        renderer,
    ]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": final,
                "foreign_pre_chain": shared,
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"level": level, "propagate": True},
            "django.server": {"level": "WARNING"},
            # uvicorn sets up its own handlers before Django starts; without these its lines
            # (a WebSocket's "GET /ws/chat/?token=..." [accepted]) would skip the redaction.
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }
