"""The request being served, for logs and the audit log: its id and its URL route."""

from contextvars import ContextVar

from django.http import HttpRequest

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# The request itself: Django resolves its URL after the middleware has put it here, so the
# route is read from it when a record is written.
_request: ContextVar[HttpRequest | None] = ContextVar("request", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> object:
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def route_of(request: object) -> str | None:
    """The URL pattern that matched `request` (`api/v1/listings/(?P<pk>[^/.]+)/$`): a handful
    of values, unlike paths. None before the URL is resolved, or when nothing matched."""
    match = getattr(request, "resolver_match", None)
    return None if match is None else str(match.route)


def current_route() -> str | None:
    return route_of(_request.get())


def set_request(request: HttpRequest) -> object:
    return _request.set(request)


def reset_request(token: object) -> None:
    _request.reset(token)  # type: ignore[arg-type]
