"""Assertions shared by the test suites of every app."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


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
