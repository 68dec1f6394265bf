"""Refuse oversized request bodies before Django reads them.

Django's ASGI handler spools the whole body before any view runs, so a size check in a view
comes too late for a 2 GB upload. This ASGI middleware answers 413 from the declared
`Content-Length`, and counts the bytes of chunked uploads that declare none, cutting them off
at the limit.
"""

import json
import re
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from .errors import error_body

Scope = dict[str, Any]


@lru_cache(maxsize=1)
def _compiled_limits() -> tuple[tuple[re.Pattern[str], int], ...]:
    return tuple((re.compile(pattern), limit) for pattern, limit in settings.REQUEST_BODY_LIMITS)


def body_limit_for(path: str) -> int:
    for pattern, limit in _compiled_limits():
        if pattern.match(path):
            return int(limit)
    return int(settings.REQUEST_BODY_MAX_BYTES)


def _language(scope: Scope) -> str:
    header = next((v for k, v in scope.get("headers", ()) if k == b"accept-language"), b"")
    for code, _quality in parse_accept_lang_header(header.decode("latin-1")):
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


async def _send_413(scope: Scope, send: Any) -> None:
    with translation.override(_language(scope)):
        body = json.dumps(error_body("payload_too_large")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
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
