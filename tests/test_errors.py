"""Every error under /api/ has the contract's shape, whatever raised it."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from tests.helpers import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.errorcases")]


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def test_validation_error_names_nested_fields_with_dots(client: APIClient) -> None:
    response = client.post("/api/validate/", {"title": "abc", "details": {"year": 1900}})

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"title", "details.year"}
    assert error["fields"]["details.year"] == [
        "Убедитесь, что это значение больше либо равно 1950."
    ]


def test_errors_across_fields_go_under_non_field_errors(client: APIClient) -> None:
    response = client.post("/api/validate/", {"title": "forbidden", "details": {"year": 2000}})

    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["non_field_errors"]


def test_wrong_types_are_validation_errors(client: APIClient) -> None:
    response = client.post("/api/validate/", {"title": ["x"], "details": "nope"})

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"title", "details.non_field_errors"}


def test_malformed_json_is_a_400(client: APIClient) -> None:
    response = client.post("/api/validate/", "{not json", content_type="application/json")

    assert_error(response, 400, "invalid")


def test_domain_error_carries_its_code_and_extra_fields(client: APIClient) -> None:
    error = assert_error(client.post("/api/domain/"), 403, "listing_limit_reached")

    assert error["limit"] == 5
    assert "fields" not in error


def test_no_credentials_is_not_authenticated(client: APIClient) -> None:
    response = client.get("/api/private/")

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-jwt", "Bearer eyJhbGciOiJub25lIn0.eyJ1c2VySWQiOiJ4In0."],
    ids=["garbage", "alg-none"],
)
def test_a_bad_bearer_token_is_token_not_valid(client: APIClient, header: str) -> None:
    response = client.get("/api/private/", HTTP_AUTHORIZATION=header)

    assert_error(response, 401, "token_not_valid")


def test_a_valid_token_reaches_the_view(client: APIClient) -> None:
    user = UserFactory()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)['access']}")

    response = client.get("/api/private/")

    assert response.status_code == 200
    assert response.json() == {"user": str(user.pk)}


def test_a_role_the_caller_lacks_is_permission_denied(client: APIClient) -> None:
    client.force_authenticate(UserFactory())

    assert_error(client.get("/api/forbidden/"), 403, "permission_denied")


def test_unknown_api_path_is_404_in_the_error_shape(client: APIClient) -> None:
    assert_error(client.get("/api/v1/no/such/thing/"), 404, "not_found")


def test_wrong_method_is_405(client: APIClient) -> None:
    assert_error(client.get("/api/validate/"), 405, "method_not_allowed")


def test_unsupported_content_type_is_415(client: APIClient) -> None:
    response = client.post("/api/echo/", "plain words", content_type="text/plain")

    assert_error(response, 415, "unsupported_media_type")


def test_a_body_over_the_parsing_limit_is_413(client: APIClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/api/echo/", {"blob": "x" * 5000}, format="json")

    assert_error(response, 413, "payload_too_large")


def test_throttled_calls_answer_429_with_retry_after(
    client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    # The rates are read into the class at import; patch them there (and only for this test).
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"errorcases": "2/min"})

    statuses = [client.get("/api/throttled/").status_code for _ in range(2)]
    response = client.get("/api/throttled/")

    assert statuses == [200, 200]
    assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_service_unavailable_is_503(client: APIClient) -> None:
    assert_error(client.get("/api/unavailable/"), 503, "service_unavailable")


@pytest.mark.parametrize("path", ["/api/database-down/", "/api/plain-database-down/"])
def test_an_unreachable_database_is_a_503_to_retry(client: APIClient, path: str) -> None:
    client.raise_request_exception = False

    response = client.get(path)

    assert_error(response, 503, "service_unavailable")
    assert int(response["Retry-After"]) > 0


def test_an_unreachable_database_outside_the_api_is_a_503_page(client: APIClient) -> None:
    client.raise_request_exception = False

    unavailable = client.get("/pages/database-down/")
    crashed = client.get("/pages/crash/")

    assert unavailable.status_code == 503
    assert b"temporarily unavailable" in unavailable.content
    assert int(unavailable["Retry-After"]) > 0
    assert crashed.status_code == 500
    assert b"secret internals" not in crashed.content


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_exception_is_a_500_that_leaks_nothing(
    client: APIClient, settings: Any, debug: bool
) -> None:
    settings.DEBUG = debug
    client.raise_request_exception = False

    response = client.get("/api/crash/")

    assert_error(response, 500, "server_error")
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Not found."),
        ("ru", "Не найдено."),
        ("ky", "Табылган жок."),
    ],
)
def test_messages_follow_accept_language(client: APIClient, language: str, message: str) -> None:
    response = client.get("/api/nowhere/", HTTP_ACCEPT_LANGUAGE=language)

    assert assert_error(response, 404, "not_found")["message"] == message


def test_russian_is_the_default_language(client: APIClient) -> None:
    assert assert_error(client.get("/api/nowhere/"), 404, "not_found")["message"] == "Не найдено."
