"""Assertions shared by the test suites of every app."""

import struct
import threading
import zlib
from collections.abc import Callable
from typing import Any

from django.db import connection
from rest_framework.test import APIClient


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert the contract's error shape with this status and code; return the error object."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]


def client_for(user: Any = None) -> APIClient:
    """An API client logged in as `user` (forced, no token), or anonymous."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def bearer(access: str) -> APIClient:
    """An API client sending this access token, as the apps do."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def run_concurrently(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in `count` real threads released together by a barrier; each thread
    closes its database connection at the end. Returns the results in thread order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def flat_png(width: int, height: int) -> bytes:
    """A black 1-bit PNG of this size, written row by row: a few KB on disk however many
    pixels it claims, made without ever holding them in memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then the row's bits
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
