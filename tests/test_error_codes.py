"""Each operation's error codes in the schema: exactly what it answers, documented once.

What the operations really answer is checked across the whole suite by the recorder in
tests/error_codes.py (wired in the root conftest); the tests here check that the recorder is
at work and catches what it should, and that every listed code is one the contract explains.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.handlers.base import BaseHandler
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.error_codes import Answer, operation_for, recorder, undeclared

CONTRACT = Path(__file__).resolve().parent.parent / "docs" / "api-contract.md"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


def enums(schema: dict[str, Any]) -> dict[str, dict[int, list[str]]]:
    """operationId → status → its Error code enum."""
    found: dict[str, dict[int, list[str]]] = {}
    for item in schema["paths"].values():
        for operation in item.values():
            found[operation["operationId"]] = {
                int(status): response["content"]["application/json"]["schema"]["allOf"][1][
                    "properties"
                ]["error"]["properties"]["code"]["enum"]
                for status, response in operation["responses"].items()
                if int(status) >= 400
            }
    return found


@pytest.mark.django_db
def test_the_recorder_sees_every_answer_of_this_test(request: pytest.FixtureRequest) -> None:
    assert "_errors_are_in_the_schema" in request.fixturenames
    assert getattr(BaseHandler.get_response, "records_errors", False)

    APIClient().get("/api/v1/me/")
    APIClient().get("/api/v1/listings/feed/", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert recorder.answers == [
        Answer("GET", "/api/v1/me/", 401, "not_authenticated"),
        # A public endpoint that reads tokens refuses a bad one: hence its 401.
        Answer("GET", "/api/v1/listings/feed/", 401, "token_not_valid"),
    ]


@pytest.mark.django_db
def test_an_endpoint_that_reads_no_token_ignores_a_bad_one() -> None:
    response = APIClient().get("/api/v1/reference/", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (Answer("GET", "/api/v1/me/", 401, "not_authenticated"), None),
        (Answer("GET", "/api/v1/me/", 404, "not_found"), "lists no 404"),
        (Answer("GET", "/api/v1/me/", 401, "blocked"), "not in its enum"),
        (Answer("POST", "/api/v1/listings/x/phone/", 404, "phone_hidden"), None),
        (Answer("POST", "/api/v1/listings/x/report/", 409, "already_decided"), "not in its enum"),
        # No operation: an unknown path, a method the path does not take.
        (Answer("GET", "/api/v1/nowhere/", 404, "not_found"), None),
        (Answer("PUT", "/api/v1/me/", 405, "method_not_allowed"), None),
        # `feed` is a route of its own, which takes GET only, not a listing's id.
        (Answer("DELETE", "/api/v1/listings/feed/", 405, "method_not_allowed"), None),
    ],
)
def test_an_answer_the_schema_does_not_list_is_caught(answer: Answer, problem: str | None) -> None:
    why = undeclared(answer)

    assert (why is None) if problem is None else (why is not None and problem in why)


def test_a_literal_path_wins_over_a_template() -> None:
    feed = operation_for("GET", "/api/v1/listings/feed/")
    listing = operation_for("GET", "/api/v1/listings/0b6f1d6e-2a9c-4a43-9d53-1b3c1e0f9a11/")

    assert [feed and feed.template, listing and listing.template] == [
        "/api/v1/listings/feed/",
        "/api/v1/listings/{id}/",
    ]


def test_every_listed_code_is_explained_in_the_contract(schema: dict[str, Any]) -> None:
    contract = CONTRACT.read_text()
    codes = {code for by_status in enums(schema).values() for c in by_status.values() for code in c}

    assert len(codes) > 25
    assert sorted(code for code in codes if f"`{code}`" not in contract) == []


def test_a_server_error_is_no_documented_answer(schema: dict[str, Any]) -> None:
    # A 500 is a bug to fix, not an answer the app can act on; the contract keeps its shape.
    listed = {status for by_status in enums(schema).values() for status in by_status}

    assert 500 not in listed
    assert listed <= {400, 401, 403, 404, 409, 413, 415, 429, 503}


def test_the_codes_follow_from_what_an_operation_is(schema: dict[str, Any]) -> None:
    codes = enums(schema)

    # Reads no token and takes no input: only the infrastructure can refuse it.
    assert codes["reference"] == {429: ["throttled"], 503: ["service_unavailable"]}
    # Public, but a bad token is refused; a cursor or filter can be wrong; no id in the path.
    assert codes["listings_feed"] == {
        400: ["invalid"],
        401: ["token_not_valid"],
        429: ["throttled"],
        503: ["service_unavailable"],
    }
    # A moderator's role, a body, an id, and the state of what it decides on.
    assert codes["moderation_reject"] == {
        400: ["invalid"],
        401: ["not_authenticated", "token_not_valid"],
        403: ["permission_denied"],
        404: ["not_found"],
        409: ["already_decided"],
        413: ["payload_too_large"],
        415: ["unsupported_media_type"],
        429: ["throttled"],
        503: ["service_unavailable"],
    }


def test_the_payment_webhook_is_the_providers_not_the_apps(schema: dict[str, Any]) -> None:
    assert not any("webhook" in path for path in schema["paths"])
