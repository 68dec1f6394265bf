"""Refuse oversized request bodies before Django reads them.

Django's ASGI handler spools the whole body before any view runs, so a size check in a view
comes too late for a 2 GB upload. `BodyLimitMiddleware` (ASGI) answers 413 from the declared
`Content-Length`, and counts the bytes of chunked uploads that declare none, cutting them off
at the limit. `WSGIBodyLimitMiddleware` does the same under gunicorn, which hands Django a
de-chunked stream without a length.
"""

import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import IO, Any

from django.conf import settings
from django.core.handlers.wsgi import get_path_info
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from .errors import error_body

Scope = dict[str, Any]
Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_SPOOL_STEP = 64 * 1024


@lru_cache(maxsize=1)
def _compiled_limits() -> tuple[tuple[re.Pattern[str], int], ...]:
    return tuple((re.compile(pattern), limit) for pattern, limit in settings.REQUEST_BODY_LIMITS)


def body_limit_for(path: str) -> int:
    for pattern, limit in _compiled_limits():
        if pattern.match(path):
            return int(limit)
    return int(settings.REQUEST_BODY_MAX_BYTES)


def _language(accept_language: str) -> str:
    for code, _quality in parse_accept_lang_header(accept_language):
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def _too_large_body(accept_language: str) -> bytes:
    """The contract's 413 body, in the caller's language."""
    with translation.override(_language(accept_language)):
        return json.dumps(error_body("payload_too_large")).encode()


def _too_large_headers(body: bytes) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]


async def _send_413(scope: Scope, send: Any) -> None:
    accept_language = next((v for k, v in scope.get("headers", ()) if k == b"accept-language"), b"")
    body = _too_large_body(accept_language.decode("latin-1"))
    headers = [*_too_large_headers(body), ("Connection", "close")]
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """ASGI: the limit for `make run` and the WebSocket service."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit_for(scope["path"])
        declared = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(scope, send)
            return

        received = 0
        cut_off = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received, cut_off
            if cut_off:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut_off = True
                    await _send_413(scope, send)
                    # Django treats a disconnect while reading the body as an aborted request
                    # and sends nothing more, so the 413 above is the whole answer.
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited_receive, send)


def _spool(stream: IO[bytes], limit: int) -> tuple[IO[bytes], int] | None:
    """The whole of `stream` in a rewound file and its size, or None past `limit`."""
    # Small bodies stay in memory, larger ones go to disk, as Django does with uploaded files.
    # It outlives this function: the response closes it.
    spooled = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    size = 0
    try:
        while size <= limit and (chunk := stream.read(min(_SPOOL_STEP, limit + 1 - size))):
            spooled.write(chunk)
            size += len(chunk)
    except BaseException:
        spooled.close()
        raise
    if size > limit:
        spooled.close()
        return None
    spooled.seek(0)
    return spooled, size


class _ClosingResponse:
    """The application's response, which also closes the spooled body when the server closes
    the response (PEP 3333: the server calls `close()` once it has sent everything)."""

    def __init__(self, response: Iterable[bytes], body: IO[bytes]) -> None:
        self.response = response
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.response)

    def close(self) -> None:
        try:
            close = getattr(self.response, "close", None)
            if close is not None:
                close()
        finally:
            self.body.close()


class WSGIBodyLimitMiddleware:
    """WSGI: the limit for gunicorn (production HTTP)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        limit = body_limit_for(get_path_info(environ))
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared.isdigit():
            # The server hands the application at most this many bytes, so it is the size.
            if int(declared) > limit:
                return self._refuse(environ, start_response)
            return self.app(environ, start_response)
        if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self.app(environ, start_response)
        # Django reads only CONTENT_LENGTH bytes of wsgi.input (none without it), so the
        # de-chunked body is counted into a file that then stands in for the stream.
        spooled = _spool(environ["wsgi.input"], limit)
        if spooled is None:
            return self._refuse(environ, start_response)
        body, size = spooled
        environ["wsgi.input"] = body
        environ["CONTENT_LENGTH"] = str(size)
        return _ClosingResponse(self.app(environ, start_response), body)

    @staticmethod
    def _refuse(environ: Environ, start_response: StartResponse) -> list[bytes]:
        body = _too_large_body(environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        # No Connection header (hop-by-hop headers are the server's, PEP 3333): gunicorn's
        # sync workers close every connection anyway, leaving the unread rest of the body.
        start_response("413 Request Entity Too Large", _too_large_headers(body))
        return [body]
