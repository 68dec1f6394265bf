"""Holds the schema's error codes to what the API answers in the test suite.

Every response Django produces during a test passes through `record`, whatever client made
the request (the test client, the WSGI app schemathesis calls, the ASGI handler). An error
answer (4xx/5xx) to a documented operation must have a status that operation lists and a
`code` in that status's enum; the root conftest fails the test that got one that does not.
Requests to no operation (an unknown path, a method the path does not take, a Host the
server does not serve) are not the schema's to describe and are left out.
"""

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.core.exceptions import DisallowedHost
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponse, HttpResponseBase

METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    # Status → the codes its Error enum lists.
    errors: dict[int, frozenset[str]]


@dataclass(frozen=True)
class Answer:
    method: str
    path: str
    status: int
    code: str


def declared_codes(response: dict[str, Any]) -> frozenset[str]:
    schema = response["content"]["application/json"]["schema"]
    narrowed = schema["allOf"][1]["properties"]["error"]["properties"]["code"]
    return frozenset(narrowed["enum"])


def operations_of(schema: dict[str, Any]) -> list[Operation]:
    """The schema's operations, literal paths before templated ones (`/listings/feed/`
    before `/listings/{id}/`)."""
    found = []
    for template, item in schema["paths"].items():
        literal = (re.escape(part) for part in re.split(r"\{[^}]+\}", template))
        pattern = re.compile("^" + "[^/]+".join(literal) + "$")
        for method in METHODS:
            if method not in item:
                continue
            errors = {
                int(status): declared_codes(response)
                for status, response in item[method]["responses"].items()
                if int(status) >= 400
            }
            found.append(Operation(method.upper(), template, pattern, errors))
    return sorted(found, key=lambda operation: operation.template.count("{"))


@cache
def operations() -> list[Operation]:
    from drf_spectacular.generators import SchemaGenerator

    # The project's URLs, whatever the test that first asks has swapped in.
    schema = SchemaGenerator(urlconf="marketplace.urls").get_schema(request=None, public=True)
    return operations_of(json.loads(json.dumps(schema)))


def operation_for(method: str, path: str) -> Operation | None:
    """The operation the request reached: the path picks its route (a literal one first, as
    Django's URLs do), and that route may not take the method."""
    template = next((op.template for op in operations() if op.pattern.match(path)), None)
    return next(
        (op for op in operations() if op.template == template and op.method == method), None
    )


def undeclared(answer: Answer) -> str | None:
    """Why the schema does not allow this answer, or None when it does (or it is no
    operation's)."""
    operation = operation_for(answer.method, answer.path)
    if operation is None:
        return None
    where = f"{answer.method} {operation.template}"
    if answer.status not in operation.errors:
        return (
            f"{where} answered {answer.status} `{answer.code}`: the schema lists no {answer.status}"
        )
    if answer.code not in operation.errors[answer.status]:
        return (
            f"{where} answered {answer.status} `{answer.code}`: not in its enum "
            f"{sorted(operation.errors[answer.status])}"
        )
    return None


@dataclass
class Recorder:
    """The error answers of the running test."""

    answers: list[Answer] = field(default_factory=list)

    def record(self, request: HttpRequest, response: HttpResponseBase) -> None:
        if response.status_code < 400 or not request.path.startswith("/api/v1/"):
            return
        try:
            request.get_host()
        except DisallowedHost:
            return  # not this server's API: the answer precedes any operation
        code = ""
        is_json = response.get("Content-Type", "").startswith("application/json")
        if is_json and isinstance(response, HttpResponse):
            code = json.loads(response.content).get("error", {}).get("code", "")
        self.answers.append(Answer(request.method or "", request.path, response.status_code, code))


recorder = Recorder()


def install() -> None:
    """Wrap Django's request handling (once per process) so every answer is recorded."""
    if getattr(BaseHandler.get_response, "records_errors", False):
        return
    get_response: Callable[[BaseHandler, HttpRequest], HttpResponseBase] = BaseHandler.get_response
    get_response_async: Callable[[BaseHandler, HttpRequest], Awaitable[HttpResponseBase]] = (
        BaseHandler.get_response_async
    )

    def recording(self: BaseHandler, request: HttpRequest) -> HttpResponseBase:
        response = get_response(self, request)
        recorder.record(request, response)
        return response

    async def recording_async(self: BaseHandler, request: HttpRequest) -> HttpResponseBase:
        response = await get_response_async(self, request)
        recorder.record(request, response)
        return response

    recording.records_errors = True  # type: ignore[attr-defined]
    BaseHandler.get_response = recording  # type: ignore[method-assign]
    BaseHandler.get_response_async = recording_async  # type: ignore[method-assign]
