"""One fake for the outside HTTP services the adapters call through `requests`.

Each adapter (accounts.sms, accounts.push, promotions.providers.freedompay) opens its session
through a module-level `_http_session()` seam; `FakeHTTP.install` swaps that seam for a session
whose transport is the fake, so no test reaches the network:

    fake = FakeHTTP(answer_ok, content_type="text/xml; charset=utf-8")
    fake.install(monkeypatch, sms)
    ...
    (request,) = fake.requests
    assert request.method == "POST" and fake.timeouts == [7]
"""

import io
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

# A canned answer: (status code, body), or an exception raised as the network would raise it.
Answer = tuple[int, bytes] | Exception
# A queued reply: an answer, or a function of the request that gives one.
Reply = Answer | Callable[[requests.PreparedRequest], Answer]


def json_answer(status: int, payload: Any) -> tuple[int, bytes]:
    """An answer whose body is `payload` as JSON."""
    return status, json.dumps(payload).encode()


class FakeHTTP(BaseAdapter):
    """A requests transport that records each request (and its timeout) and plays the queued
    `replies` in order, the last one repeating. A reply is `(status, body)`, an exception to
    raise, or a function of the request returning either."""

    def __init__(self, *replies: Reply, content_type: str = "application/json") -> None:
        super().__init__()
        self.replies: list[Reply] = list(replies) or [(200, b"")]
        self.content_type = content_type
        self.requests: list[requests.PreparedRequest] = []
        self.timeouts: list[Any] = []

    def send(
        self, request: requests.PreparedRequest, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        self.requests.append(request)
        self.timeouts.append(timeout)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        answer = reply(request) if callable(reply) else reply
        if isinstance(answer, Exception):
            raise answer
        status_code, body = answer
        response = requests.Response()
        response.status_code = status_code
        response.raw = io.BytesIO(body)
        response.headers["Content-Type"] = self.content_type
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass

    def session(self) -> requests.Session:
        """A fresh session that sends every http(s) request to this fake."""
        session = requests.Session()
        session.mount("https://", self)
        session.mount("http://", self)
        return session

    def install(self, monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> "FakeHTTP":
        """Make `module._http_session()` hand out sessions bound to this fake."""
        monkeypatch.setattr(module, "_http_session", self.session)
        return self

    def json_sent(self) -> list[Any]:
        """The JSON body of each request, in order."""
        return [json.loads(r.body or "null") for r in self.requests]
