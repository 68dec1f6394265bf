"""The ASGI body limit: oversized bodies are refused before Django reads them.

The tests drive `marketplace.asgi.application` as an ASGI server would: one HTTP scope, a
`receive` that hands out the body in chunks, and a `send` that records the response.
"""

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from marketplace.api import body_limit
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
