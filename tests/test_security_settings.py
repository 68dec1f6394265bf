"""Security settings: production's headers and cookies, CORS and socket origins, secrets from env.

Already proven elsewhere and not repeated here:
- `tests/test_settings.py`: `check --deploy --fail-level WARNING` passes with the production
  env; production refuses a missing or short SECRET_KEY, a short JWT_SIGNING_KEY and malformed
  values.
- `tests/test_operations.py`: the security headers on API responses; CORS allows a configured
  origin (simple and preflight), ignores others on a simple request, and stays off non-API paths.
- `tests/test_tokens_hardening.py`: the JWT algorithm is fixed (HS256) and others are refused.
"""

import json
import re
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import LazySettings
from django.test import Client

from marketplace.asgi import application
from tests.test_settings import PRODUCTION_ENV, run_django

pytestmark = pytest.mark.django_db

ALLOWED = "https://app.example.kg"
EVIL = "https://evil.example.com"


def production_settings(**env: str) -> dict[str, Any]:
    names = [
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "X_FRAME_OPTIONS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_REFERRER_POLICY",
        "CORS_ALLOWED_ORIGINS",
        "CORS_ALLOW_ALL_ORIGINS",
        "CORS_ALLOW_CREDENTIALS",
        "SECRET_KEY",
        "SIMPLE_JWT",
    ]
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}, default=str))"
    )
    result = run_django({**PRODUCTION_ENV, **env}, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_production_sends_https_only_cookies_hsts_and_no_framing() -> None:
    values = production_settings()

    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SIMPLE_JWT"]["ALGORITHM"] == "HS256"


def test_production_allows_no_origin_unless_configured_and_never_all() -> None:
    assert production_settings()["CORS_ALLOWED_ORIGINS"] == []
    values = production_settings(CORS_ALLOWED_ORIGINS=ALLOWED)

    assert values["CORS_ALLOWED_ORIGINS"] == [ALLOWED]
    assert not values["CORS_ALLOW_ALL_ORIGINS"]
    assert not values["CORS_ALLOW_CREDENTIALS"]


def test_production_secrets_come_from_the_environment() -> None:
    values = production_settings()

    assert values["SECRET_KEY"] == PRODUCTION_ENV["SECRET_KEY"]
    assert values["SIMPLE_JWT"]["SIGNING_KEY"] == PRODUCTION_ENV["JWT_SIGNING_KEY"]


def test_production_refuses_to_start_without_a_jwt_signing_key() -> None:
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "JWT_SIGNING_KEY"}

    result = run_django(env, "check")

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY" in result.stderr


def test_production_refuses_a_jwt_key_equal_to_the_secret_key() -> None:
    result = run_django(
        {**PRODUCTION_ENV, "JWT_SIGNING_KEY": PRODUCTION_ENV["SECRET_KEY"]}, "check"
    )

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must differ from SECRET_KEY" in result.stderr


def test_production_refuses_debug() -> None:
    result = run_django({**PRODUCTION_ENV, "DEBUG": "true"}, "check")

    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


# --- Headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/login/", "/api/v1/legal/documents/", "/healthz"])
def test_every_kind_of_page_carries_the_security_headers(path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# --- CORS -------------------------------------------------------------------------------------


def test_a_preflight_from_an_unlisted_origin_gets_no_cors_headers(settings: LazySettings) -> None:
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    response = Client().options(
        "/api/v1/listings/",
        HTTP_ORIGIN=EVIL,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Methods" not in response
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("origin", [EVIL, "null", f"{ALLOWED}.evil.com", "http://app.example.kg"])
def test_an_unlisted_origin_gets_no_allow_origin(settings: LazySettings, origin: str) -> None:
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    response = Client().get("/api/v1/legal/documents/", HTTP_ORIGIN=origin)

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_without_configured_origins_no_origin_is_allowed() -> None:
    response = Client().get("/api/v1/legal/documents/", HTTP_ORIGIN=ALLOWED)

    assert "Access-Control-Allow-Origin" not in response


# --- WebSocket origins ------------------------------------------------------------------------


async def _connects(origin: bytes | None) -> bool:
    headers = [(b"origin", origin)] if origin is not None else []
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return bool(connected)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_browser_socket_from_an_unlisted_origin_is_refused() -> None:
    # The mobile app sends no Origin; a browser's must be one of the configured ones.
    assert await _connects(None) is True
    assert await _connects(EVIL.encode()) is False


@pytest.mark.parametrize("path", ["/api/v1/listings/feed/", "/api/v1/listings/not-an-id/"])
def test_a_json_answer_allows_nothing_to_run_or_frame_it(client: Client, path: str) -> None:
    answer = client.get(path)

    assert answer["Content-Type"].startswith("application/json")
    assert answer["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_the_api_docs_page_runs_only_scripts_from_files(client: Client) -> None:
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    html = page.content.decode()
    assert page.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1) for directive in page["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert html.count("<script") == html.count("<script src=") == 3
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_load_nothing_from_another_site(client: Client, page: str) -> None:
    """Swagger UI and ReDoc come from the project's static files: the docs work with no
    internet."""
    response = client.get(page)
    html = response.content.decode()
    assets = re.findall(r'(?:src|href|spec-url)="([^"]+)"', html)

    assert response.status_code == 200
    assert "<script>" not in html  # no inline script either: the CSP would refuse it

    assert assets
    for asset in assets:
        assert not re.match(r"(?:[a-z]+:)?//", asset), asset
        assert client.get(asset).status_code == 200, asset
