"""What the bench's gunicorn serves: the project's WSGI application, and `/bench/bare-floor/`
answered before it — the floor's SQL (bench/floor.py) from a view behind no middleware at all,
only Django's request signals (which hand the database connection back to the pool). The
distance from the bare floor to the floor is what the middleware costs; from the floor to the
feed, what the feed's own code does."""

from collections.abc import Callable, Iterable
from typing import Any

from django.core import signals
from django.core.handlers.wsgi import WSGIRequest

from bench.floor import floor_view
from marketplace.wsgi import application as project

BARE_FLOOR = "/bench/bare-floor/"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") != BARE_FLOOR:
        return project(environ, start_response)
    signals.request_started.send(sender=None, environ=environ)
    try:
        response = floor_view(WSGIRequest(environ))
    finally:
        signals.request_finished.send(sender=None)
    start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
    return [response.content]
