"""Assertions shared by the test suites of every app."""

from typing import Any


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
