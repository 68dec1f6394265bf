"""Logs: one JSON object per line, the request id on every record, and no token values."""

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, resolve

from core.request_context import reset_request_id, set_request_id
from marketplace.api.middleware import redact_query
from marketplace.logging import build_logging_config, redact

pytestmark = pytest.mark.django_db

JWT_LIKE = "eyJhbGciOi.secret"


class FakeRequest:
    """Stands in for the request Django's `django.request` logger puts in `extra`."""

    def __repr__(self) -> str:
        return f"<ASGIRequest: GET '/ws/chat/?token={JWT_LIKE}'>"


def make_formatter(*, json_lines: bool) -> logging.Formatter:
    """The formatter exactly as the settings' LOGGING dictConfig would build it."""
    config = build_logging_config(json_lines=json_lines, level="INFO")
    # The same code path dictConfig takes, without reconfiguring the process's logging.
    configurator = logging.config.DictConfigurator(config)
    formatter = configurator.configure_formatter(config["formatters"]["structured"])
    assert isinstance(formatter, structlog.stdlib.ProcessorFormatter)
    return formatter


class Captured:
    def __init__(self, name: str, *, json_lines: bool) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(make_formatter(json_lines=json_lines))
        # A logger of its own, outside the logging tree: nothing else writes to the stream.
        self.logger = logging.Logger(name, level=logging.INFO)
        self.logger.addHandler(self.handler)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        text = self.text
        assert text.endswith("\n")
        return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def json_log() -> Captured:
    return Captured("django.request", json_lines=True)


@pytest.fixture
def console_log() -> Captured:
    return Captured("django.request", json_lines=False)


# --- The formatter ----------------------------------------------------------------------------


def test_json_lines_redact_tokens_in_the_message_and_the_fields(json_log: Captured) -> None:
    json_log.logger.warning(
        "Not Found: %s",
        "/api/v1/x/?token=abc123",
        extra={"request": FakeRequest(), "status_code": 404},
    )
    json_log.logger.info("second line")

    lines = json_log.lines()
    assert len(lines) == 2
    first = lines[0]
    assert first["event"] == "Not Found: /api/v1/x/?token=[redacted]"
    assert first["request"] == "<ASGIRequest: GET '/ws/chat/?token=[redacted]'>"
    assert first["level"] == "warning"
    assert first["logger"] == "django.request"
    assert first["status_code"] == 404  # numbers stay numbers
    assert first["timestamp"].endswith("Z")
    assert "abc123" not in json_log.text
    assert JWT_LIKE not in json_log.text
    assert "eyJhbGciOi" not in json_log.text
    assert "[redacted]" in json_log.text
    assert lines[1]["event"] == "second line"


def test_json_lines_redact_tokens_in_exceptions(json_log: Captured) -> None:
    try:
        raise ValueError(f"cannot open /ws/chat/?token={JWT_LIKE}")
    except ValueError:
        json_log.logger.exception("Handshake failed")

    (line,) = json_log.lines()
    assert line["event"] == "Handshake failed"
    assert "ValueError: cannot open /ws/chat/?token=[redacted]" in line["exception"]
    assert "eyJhbGciOi" not in json_log.text


@pytest.mark.parametrize("key", ["token", "access_token", "TOKEN", "refresh_token"])
def test_json_lines_redact_every_kind_of_token_parameter(json_log: Captured, key: str) -> None:
    json_log.logger.info("GET /ws/?a=1&%s=abc123&b=2", key)

    (line,) = json_log.lines()
    assert line["event"] == f"GET /ws/?a=1&{key}=[redacted]&b=2"


def test_json_lines_carry_the_current_request_id(json_log: Captured) -> None:
    token = set_request_id("req-42")
    try:
        json_log.logger.info("inside")
        json_log.logger.info("own id", extra={"request_id": "explicit"})
    finally:
        reset_request_id(token)
    json_log.logger.info("outside")

    inside, own, outside = json_log.lines()
    assert inside["request_id"] == "req-42"
    assert own["request_id"] == "explicit"
    assert "request_id" not in outside


def test_unserialisable_fields_become_text(json_log: Captured) -> None:
    json_log.logger.info("odd", extra={"thing": object(), "items": ["token=abc123", 1]})

    (line,) = json_log.lines()
    assert line["thing"].startswith("<object object at")
    assert "abc123" not in json.dumps(line)


def test_console_lines_render(console_log: Captured) -> None:
    console_log.logger.warning(
        "Not Found: %s",
        "/api/v1/x/?token=abc123",
        extra={"request": FakeRequest(), "status_code": 404},
    )

    text = console_log.text
    assert "Not Found: /api/v1/x/?token=[redacted]" in text
    assert "status_code=404" in text
    assert "django.request" in text
    assert "abc123" not in text
    assert "eyJhbGciOi" not in text


def test_uvicorns_coloured_copy_of_the_message_is_dropped(console_log: Captured) -> None:
    console_log.logger.info(
        "Started server process [%d]",
        42,
        extra={"color_message": "Started server process [\x1b[36m%d\x1b[0m]"},
    )

    assert "Started server process [42]" in console_log.text
    assert "color_message" not in console_log.text
    assert "\x1b" not in console_log.text


def test_console_lines_render_exceptions(console_log: Captured) -> None:
    try:
        raise ValueError("plain failure")
    except ValueError:
        console_log.logger.exception("It broke")

    assert "It broke" in console_log.text
    assert "ValueError" in console_log.text
    assert "plain failure" in console_log.text


def test_console_lines_redact_tokens_in_exceptions(console_log: Captured) -> None:
    try:
        raise ValueError(f"cannot open /ws/chat/?token={JWT_LIKE}")
    except ValueError:
        console_log.logger.exception("Handshake failed")

    assert "ValueError" in console_log.text
    assert "eyJhbGciOi" not in console_log.text


# --- Redaction helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("token=abc&x=1", "token=[redacted]&x=1"),
        ("x=1&token=abc", "x=1&token=[redacted]"),
        ("access_token=zzz", "access_token=[redacted]"),
        ("x=1;refresh_token=zzz;y=2", "x=1;refresh_token=[redacted];y=2"),
        ("Token=abc", "Token=[redacted]"),
        ("token=", "token=[redacted]"),
        ("page=2", "page=2"),
        ("tokens=1", "tokens=1"),
        ("", ""),
    ],
)
def test_redact_query(query: str, expected: str) -> None:
    assert redact_query(query) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /ws/?token=abc123 HTTP/1.1", "GET /ws/?token=[redacted] HTTP/1.1"),
        ("'/ws/?token=abc'>", "'/ws/?token=[redacted]'>"),
        ('"/ws/?token=abc"', '"/ws/?token=[redacted]"'),
        ("no secrets here", "no secrets here"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


# --- A real request ---------------------------------------------------------------------------


@pytest.fixture
def root_json_log() -> Iterator[io.StringIO]:
    """Everything logged while the fixture is active, through the JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter(json_lines=True))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_the_access_log_redacts_the_query(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="marketplace.access"):
        response = client.get("/api/v1/x/?token=abc123&page=2")

    assert response.status_code == 404
    (record,) = [r for r in caplog.records if r.name == "marketplace.access"]
    assert record.getMessage() == "GET /api/v1/x/ 404"
    assert record.query == "token=[redacted]&page=2"  # type: ignore[attr-defined]
    assert record.method == "GET"  # type: ignore[attr-defined]
    assert record.path == "/api/v1/x/"  # type: ignore[attr-defined]
    assert record.status == 404  # type: ignore[attr-defined]
    assert record.user_id is None  # type: ignore[attr-defined]
    assert isinstance(record.duration_ms, float)  # type: ignore[attr-defined]
    # The request id is not on the record itself: the formatter adds it from the request context
    # while the record is written (see the next test).
    assert not hasattr(record, "request_id")


def test_a_real_request_logs_its_request_id_and_no_token(
    client: Client, root_json_log: io.StringIO
) -> None:
    response = client.get("/api/v1/x/?token=abc123", HTTP_X_REQUEST_ID="abc-123")

    assert response["X-Request-ID"] == "abc-123"
    text = root_json_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    access = [line for line in lines if line["logger"] == "marketplace.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == "abc-123"
    assert access[0]["query"] == "token=[redacted]"
    assert access[0]["status"] == 404
    # Django's own 4xx warning carries the request, whose repr has the full query string.
    (not_found,) = [line for line in lines if line["logger"] == "django.request"]
    assert not_found["event"] == "Not Found: /api/v1/x/"
    assert not_found["request"] == "<WSGIRequest: GET '/api/v1/x/?token=[redacted]'>"
    assert "abc123" not in text


def test_djangos_own_4xx_warning_carries_the_request_id(
    client: Client, root_json_log: io.StringIO
) -> None:
    client.get("/api/v1/x/", HTTP_X_REQUEST_ID="abc-123")

    lines = [json.loads(line) for line in root_json_log.getvalue().splitlines()]
    (not_found,) = [line for line in lines if line["logger"] == "django.request"]
    assert not_found.get("request_id") == "abc-123"


def test_a_generated_request_id_is_logged(client: Client, root_json_log: io.StringIO) -> None:
    response = client.get("/healthz")

    lines = [json.loads(line) for line in root_json_log.getvalue().splitlines()]
    (access,) = [line for line in lines if line["logger"] == "marketplace.access"]
    assert access["request_id"] == response["X-Request-ID"]
    assert len(access["request_id"]) == 32


def _logging_view(request: HttpRequest, number: int) -> HttpResponse:
    logging.getLogger("tests.view").warning("inside the view")
    return HttpResponse("ok")


# This module is the URLconf of the tests marked `urls(__name__)`.
urlpatterns = [path("things/<int:number>/", _logging_view)]


@pytest.mark.urls(__name__)
def test_every_record_of_a_request_carries_its_route(
    client: Client, root_json_log: io.StringIO
) -> None:
    client.get("/things/7/", HTTP_X_REQUEST_ID="abc-123")

    lines = [json.loads(line) for line in root_json_log.getvalue().splitlines()]
    (inside,) = [line for line in lines if line["logger"] == "tests.view"]
    (access,) = [line for line in lines if line["logger"] == "marketplace.access"]
    # The pattern, not the path: one value for every thing's page.
    assert inside["route"] == access["route"] == "things/<int:number>/"
    assert inside["request_id"] == "abc-123"
    assert inside["level"] == "warning"
    assert access["path"] == "/things/7/"


def test_djangos_own_4xx_warning_carries_the_route(
    client: Client, root_json_log: io.StringIO
) -> None:
    missing = "/api/v1/listings/3fa85f64-5717-4562-b3fc-2c963f66afa6/"
    assert client.get(missing).status_code == 404

    lines = [json.loads(line) for line in root_json_log.getvalue().splitlines()]
    (not_found,) = [line for line in lines if line["logger"] == "django.request"]
    assert not_found["route"] == resolve(missing).route


def test_an_unmatched_path_logs_no_route(client: Client, root_json_log: io.StringIO) -> None:
    # Outside /api/, whose unknown paths have a catch-all route of their own (`^api/`).
    assert client.get("/nowhere/").status_code == 404

    lines = [json.loads(line) for line in root_json_log.getvalue().splitlines()]
    (access,) = [line for line in lines if line["logger"] == "marketplace.access"]
    assert "route" not in access


def test_celery_keeps_the_settings_logging() -> None:
    from marketplace.celery import app

    root, celery_logger = logging.getLogger(), logging.getLogger("celery")
    handlers, level, celery_level = list(root.handlers), root.level, celery_logger.level
    try:
        # What `celery worker --loglevel=INFO` and `celery beat` do at start-up.
        app.log.setup(loglevel="INFO")

        assert root.handlers == handlers
        assert any(
            isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter)
            for handler in root.handlers
        )
        assert celery_logger.level == logging.INFO
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        celery_logger.setLevel(celery_level)
        app.log.already_setup = False
