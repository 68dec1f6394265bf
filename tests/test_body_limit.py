"""The body limit: oversized bodies are refused before Django reads them, under ASGI and WSGI.

The ASGI tests drive `marketplace.asgi.application` as an ASGI server would: one HTTP scope, a
`receive` that hands out the body in chunks, and a `send` that records the response. The WSGI
tests call `WSGIBodyLimitMiddleware` with an environ as gunicorn builds it (a chunked body
arrives de-chunked in `wsgi.input`, without `CONTENT_LENGTH`), around a small application that
reads the body as Django does, and once `marketplace.wsgi.application` itself.
"""

import asyncio
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import Image

from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from core import body_limit
from core.body_limit import WSGIBodyLimitMiddleware
from marketplace import wsgi
from marketplace.asgi import application

CHUNK = 64 * 1024
LIMIT = 100_000


class FakeServer:
    """`receive` and `send` for one request. After the body, `receive` waits for the response
    to finish and then reports a disconnect, as a server does when the client goes away."""

    def __init__(self, chunks: Iterator[bytes] | list[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending: bytes | None = next(self._chunks, None)
        self.receive_calls = 0
        self.chunks_pulled = 0
        self.messages: list[dict[str, Any]] = []
        self._finished = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        self.receive_calls += 1
        if self._pending is None:
            await self._finished.wait()
            return {"type": "http.disconnect"}
        chunk, self._pending = self._pending, next(self._chunks, None)
        self.chunks_pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": self._pending is not None}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self._finished.set()

    @property
    def starts(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == "http.response.start"]

    @property
    def status(self) -> int:
        assert len(self.starts) == 1, self.messages
        return int(self.starts[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.starts[0]["headers"])

    @property
    def body(self) -> bytes:
        return b"".join(
            m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"
        )


def endless_chunks() -> Iterator[bytes]:
    """A chunked upload that never ends on its own."""
    while True:
        yield b"x" * CHUNK


def http_scope(
    path: str = "/api/v1/whatever/",
    *,
    method: str = "POST",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
    }


async def call(scope: dict[str, Any], server: FakeServer) -> None:
    await asyncio.wait_for(application(scope, server.receive, server.send), timeout=30)


def assert_too_large(server: FakeServer) -> dict[str, Any]:
    assert server.status == 413, server.body
    assert server.headers[b"content-type"] == b"application/json"
    assert server.headers[b"content-length"] == str(len(server.body)).encode()
    body = json.loads(server.body)
    assert set(body) == {"error"}
    assert body["error"]["code"] == "payload_too_large"
    return body["error"]


@pytest.fixture(autouse=True)
def _small_limit(settings: Any) -> Iterator[None]:
    settings.REQUEST_BODY_MAX_BYTES = LIMIT
    body_limit._compiled_limits.cache_clear()
    yield
    body_limit._compiled_limits.cache_clear()


@pytest.mark.asyncio
async def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    server = FakeServer(endless_chunks())
    scope = http_scope(headers=[(b"content-length", str(LIMIT + 1).encode())])

    await call(scope, server)

    assert_too_large(server)
    assert server.receive_calls == 0
    assert server.headers[b"connection"] == b"close"


@pytest.mark.asyncio
async def test_a_declared_length_at_the_limit_is_read() -> None:
    server = FakeServer([b"x" * LIMIT])
    scope = http_scope(headers=[(b"content-length", str(LIMIT).encode())])

    await call(scope, server)

    assert server.status == 404
    assert json.loads(server.body)["error"]["code"] == "not_found"


@pytest.mark.asyncio
async def test_a_chunked_body_over_the_limit_is_cut_off() -> None:
    server = FakeServer(endless_chunks())
    scope = http_scope(headers=[(b"transfer-encoding", b"chunked")])

    await call(scope, server)

    assert_too_large(server)
    assert server.chunks_pulled <= LIMIT // CHUNK + 1
    assert len(server.starts) == 1
    assert [m["type"] for m in server.messages] == ["http.response.start", "http.response.body"]


@pytest.mark.asyncio
async def test_a_body_longer_than_its_declared_length_is_cut_off() -> None:
    # A client that declares a small length but keeps sending is counted all the same.
    server = FakeServer(endless_chunks())
    scope = http_scope(headers=[(b"content-length", b"10")])

    await call(scope, server)

    assert_too_large(server)
    assert server.chunks_pulled <= LIMIT // CHUNK + 1


@pytest.mark.asyncio
async def test_a_small_body_reaches_django() -> None:
    payload = b'{"title": "bicycle"}'
    server = FakeServer([payload])
    scope = http_scope(
        headers=[
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ]
    )

    await call(scope, server)

    assert server.status == 404
    assert json.loads(server.body)["error"]["code"] == "not_found"
    assert server.chunks_pulled == 1


@pytest.mark.asyncio
async def test_a_small_chunked_body_reaches_django() -> None:
    server = FakeServer([b"x" * 1000, b"y" * 1000, b"z" * 1000])
    scope = http_scope(headers=[(b"transfer-encoding", b"chunked")])

    await call(scope, server)

    assert server.status == 404
    assert server.chunks_pulled == 3


@pytest.mark.asyncio
async def test_a_path_with_its_own_limit_accepts_a_larger_body() -> None:
    size = 2 * 1024 * 1024
    server = FakeServer([b"x" * CHUNK] * (size // CHUNK))
    scope = http_scope(
        "/admin/login/",
        headers=[
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(size).encode()),
        ],
    )

    await call(scope, server)

    # Not 413: the whole body was read and Django answered (its CSRF check refuses the form).
    assert server.status != 413
    assert server.status == 403
    assert server.chunks_pulled == size // CHUNK


@pytest.mark.asyncio
async def test_the_same_body_elsewhere_is_refused() -> None:
    size = 2 * 1024 * 1024
    server = FakeServer([b"x" * CHUNK] * (size // CHUNK))
    scope = http_scope(headers=[(b"content-length", str(size).encode())])

    await call(scope, server)

    assert_too_large(server)
    assert server.receive_calls == 0


@pytest.mark.asyncio
async def test_changed_path_limits_apply(settings: Any) -> None:
    settings.REQUEST_BODY_LIMITS = [(r"^/api/v1/uploads/", 10 * LIMIT)]
    body_limit._compiled_limits.cache_clear()
    size = 5 * LIMIT

    allowed = FakeServer([b"x" * size])
    await call(
        http_scope("/api/v1/uploads/", headers=[(b"content-length", str(size).encode())]),
        allowed,
    )
    refused = FakeServer([b"x" * size])
    await call(
        http_scope("/admin/login/", headers=[(b"content-length", str(size).encode())]),
        refused,
    )

    assert allowed.status == 404
    assert_too_large(refused)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/whatever/", LIMIT),
        ("/admin/", 20 * 1024 * 1024),
        ("/admin/listings/listing/add/", 20 * 1024 * 1024),
        ("/api/v1/admin/", LIMIT),
    ],
)
def test_body_limit_for(path: str, expected: int) -> None:
    assert body_limit.body_limit_for(path) == expected


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("accept_language", "message"),
    [
        (None, "Запрос слишком большой."),
        (b"en", "The request is too large."),
        (b"en-US,en;q=0.9", "The request is too large."),
        (b"ru", "Запрос слишком большой."),
        (b"xx, en;q=0.5", "The request is too large."),
        (b"xx", "Запрос слишком большой."),
    ],
    ids=["default", "en", "en-US", "ru", "unknown-then-en", "unknown-only"],
)
async def test_the_413_speaks_the_callers_language(
    accept_language: bytes | None, message: str
) -> None:
    headers = [(b"content-length", str(LIMIT + 1).encode())]
    if accept_language is not None:
        headers.append((b"accept-language", accept_language))
    server = FakeServer([])

    await call(http_scope(headers=headers), server)

    assert assert_too_large(server)["message"] == message


@pytest.mark.asyncio
async def test_a_chunked_413_speaks_the_callers_language() -> None:
    server = FakeServer(endless_chunks())
    scope = http_scope(headers=[(b"accept-language", b"en")])

    await call(scope, server)

    assert assert_too_large(server)["message"] == "The request is too large."


@pytest.mark.asyncio
async def test_a_request_without_a_body_passes_through() -> None:
    server = FakeServer([b""])

    await call(http_scope("/healthz", method="GET"), server)

    assert server.status == 200
    assert json.loads(server.body) == {"status": "ok"}


# --- WSGI (gunicorn) ------------------------------------------------------------------------


class EndlessInput(io.RawIOBase):
    """A `wsgi.input` that never ends, counting the bytes taken from it."""

    def __init__(self) -> None:
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), CHUNK)
        buffer[:size] = b"x" * size
        self.bytes_read += size
        return size


class EchoApp:
    """Reads `CONTENT_LENGTH` bytes of `wsgi.input`, as Django does, and answers their count."""

    def __init__(self) -> None:
        self.received: bytes | None = None
        self.input: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.input = environ["wsgi.input"]
        self.received = self.input.read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(len(self.received)).encode()]


class WSGIResponse:
    def __init__(self, app: Any, environ: dict[str, Any]) -> None:
        self.headers: dict[str, str] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            self.status = int(status.split()[0])
            self.headers = {name.lower(): value for name, value in headers}

        result = app(environ, start_response)
        try:
            self.body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()


def wsgi_environ(
    path: str = "/api/v1/whatever/",
    *,
    body: Any = b"",
    chunked: bool = False,
    method: str = "POST",
    **extra: Any,
) -> dict[str, Any]:
    """A request as gunicorn hands it over: a chunked body without CONTENT_LENGTH."""
    stream = io.BytesIO(body) if isinstance(body, bytes) else body
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "HTTP_HOST": "testserver",
        "wsgi.input": stream,
        **extra,
    }
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    elif isinstance(body, bytes) and body:
        environ["CONTENT_LENGTH"] = str(len(body))
    setup_testing_defaults(environ)
    return environ


def assert_wsgi_too_large(response: WSGIResponse) -> dict[str, Any]:
    assert response.status == 413, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.body))
    body = json.loads(response.body)
    assert set(body) == {"error"}
    assert body["error"]["code"] == "payload_too_large"
    return body["error"]


def test_wsgi_a_declared_length_over_the_limit_is_refused_unread() -> None:
    app = EchoApp()
    stream = EndlessInput()

    response = WSGIResponse(
        WSGIBodyLimitMiddleware(app),
        wsgi_environ(body=stream, CONTENT_LENGTH=str(LIMIT + 1)),
    )

    assert_wsgi_too_large(response)
    assert stream.bytes_read == 0
    assert app.input is None


def test_wsgi_a_declared_length_at_the_limit_reaches_the_app_untouched() -> None:
    app = EchoApp()
    environ = wsgi_environ(body=b"x" * LIMIT)
    stream = environ["wsgi.input"]

    response = WSGIResponse(WSGIBodyLimitMiddleware(app), environ)

    assert response.status == 200
    assert app.received == b"x" * LIMIT
    assert app.input is stream


def test_wsgi_a_chunked_body_over_the_limit_is_cut_off() -> None:
    app = EchoApp()
    stream = EndlessInput()

    response = WSGIResponse(WSGIBodyLimitMiddleware(app), wsgi_environ(body=stream, chunked=True))

    assert_wsgi_too_large(response)
    assert stream.bytes_read == LIMIT + 1
    assert app.input is None


def test_wsgi_a_chunked_body_one_byte_over_the_limit_is_refused() -> None:
    app = EchoApp()

    response = WSGIResponse(
        WSGIBodyLimitMiddleware(app), wsgi_environ(body=b"x" * (LIMIT + 1), chunked=True)
    )

    assert_wsgi_too_large(response)
    assert app.input is None


def test_wsgi_a_chunked_body_at_the_limit_reaches_the_app_whole() -> None:
    app = EchoApp()
    payload = b"0123456789" * (LIMIT // 10)

    response = WSGIResponse(WSGIBodyLimitMiddleware(app), wsgi_environ(body=payload, chunked=True))

    assert response.status == 200
    assert response.body == str(LIMIT).encode()
    assert app.received == payload
    # The spooled copy is released with the response.
    assert app.input.closed


def test_wsgi_a_request_without_a_body_passes_through() -> None:
    app = EchoApp()

    response = WSGIResponse(WSGIBodyLimitMiddleware(app), wsgi_environ("/healthz", method="GET"))

    assert response.status == 200
    assert app.received == b""


def test_wsgi_a_path_with_its_own_limit_accepts_a_larger_chunked_body() -> None:
    size = 2 * 1024 * 1024
    app = EchoApp()

    response = WSGIResponse(
        WSGIBodyLimitMiddleware(app),
        wsgi_environ("/admin/login/", body=b"x" * size, chunked=True),
    )

    assert response.status == 200
    assert app.received is not None
    assert len(app.received) == size


def test_wsgi_the_same_body_elsewhere_is_refused() -> None:
    size = 2 * 1024 * 1024

    declared = WSGIResponse(WSGIBodyLimitMiddleware(EchoApp()), wsgi_environ(body=b"x" * size))
    chunked = WSGIResponse(
        WSGIBodyLimitMiddleware(EchoApp()), wsgi_environ(body=b"x" * size, chunked=True)
    )

    assert_wsgi_too_large(declared)
    assert_wsgi_too_large(chunked)


def test_wsgi_changed_path_limits_apply(settings: Any) -> None:
    settings.REQUEST_BODY_LIMITS = [(r"^/api/v1/uploads/", 10 * LIMIT)]
    body_limit._compiled_limits.cache_clear()
    payload = b"x" * (5 * LIMIT)

    allowed = WSGIResponse(
        WSGIBodyLimitMiddleware(EchoApp()),
        wsgi_environ("/api/v1/uploads/", body=payload, chunked=True),
    )
    refused = WSGIResponse(
        WSGIBodyLimitMiddleware(EchoApp()),
        wsgi_environ("/admin/login/", body=payload, chunked=True),
    )

    assert allowed.status == 200
    assert_wsgi_too_large(refused)


@pytest.mark.parametrize(
    ("accept_language", "message"),
    [
        (None, "Запрос слишком большой."),
        ("en", "The request is too large."),
        ("en-US,en;q=0.9", "The request is too large."),
        ("xx, en;q=0.5", "The request is too large."),
        ("xx", "Запрос слишком большой."),
    ],
    ids=["default", "en", "en-US", "unknown-then-en", "unknown-only"],
)
@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_wsgi_the_413_speaks_the_callers_language(
    accept_language: str | None, message: str, chunked: bool
) -> None:
    extra = {} if accept_language is None else {"HTTP_ACCEPT_LANGUAGE": accept_language}
    if chunked:
        environ = wsgi_environ(body=EndlessInput(), chunked=True, **extra)
    else:
        environ = wsgi_environ(body=EndlessInput(), CONTENT_LENGTH=str(LIMIT + 1), **extra)

    response = WSGIResponse(WSGIBodyLimitMiddleware(EchoApp()), environ)

    assert assert_wsgi_too_large(response)["message"] == message


def test_the_wsgi_application_refuses_a_chunked_body_over_the_limit() -> None:
    response = WSGIResponse(wsgi.application, wsgi_environ(body=EndlessInput(), chunked=True))

    assert_wsgi_too_large(response)


# Django's WSGI handler closes the database connection around each request, which a test
# transaction would not survive.
@pytest.mark.django_db(transaction=True)
def test_the_wsgi_application_takes_a_chunked_upload_whole() -> None:
    # Given a user and a photo sent chunked, as a phone uploading a stream does
    user = UserFactory()
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(image, "JPEG")
    image.seek(0)
    image.name = "me.jpg"
    payload = encode_multipart(BOUNDARY, {"file": image})

    # When it goes through the WSGI application gunicorn serves
    response = WSGIResponse(
        wsgi.application,
        wsgi_environ(
            "/api/v1/me/avatar/",
            body=payload,
            chunked=True,
            CONTENT_TYPE=MULTIPART_CONTENT,
            HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)['access']}",
        ),
    )

    # Then Django read the whole body: the photo is the avatar
    assert response.status == 200, response.body
    user.refresh_from_db()
    assert user.avatar
