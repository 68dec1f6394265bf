"""The API's path through the middleware: nothing of what only the admin and the pages need.

`/api/` requests skip sessions, the admin's authentication and messages
(marketplace.api.middleware.pages_only); the admin keeps all of them. Compression is the
proxy's in production and the app's only under `make run`.
"""

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from tests.helpers import bearer
from tests.test_settings import PRODUCTION_ENV, ROOT, django_shell

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user() -> Any:
    return user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None)


def test_an_api_answer_sets_no_cookie_and_does_not_vary_on_cookies(admin_user: Any) -> None:
    client = Client()
    client.force_login(admin_user)  # a browser that is also signed in to the admin

    response = client.get("/api/v1/listings/feed/")

    assert response.status_code == 200
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")


def test_the_admins_session_does_not_sign_in_to_the_api(admin_user: Any) -> None:
    client = Client()
    client.force_login(admin_user)

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_api_write_needs_no_csrf_token_and_a_cookie_cannot_stand_in_for_the_bearer(
    admin_user: Any,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    body = json.dumps({"display_name": "Айбек"})

    by_cookie = client.patch("/api/v1/me/", body, content_type="application/json")
    by_token = bearer(issue_tokens(admin_user)["access"]).patch(
        "/api/v1/me/", {"display_name": "Айбек"}, format="json"
    )

    assert by_cookie.status_code == 401
    assert by_token.status_code == 200


def test_the_admin_keeps_its_session_csrf_and_messages(admin_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)

    refused = client.post("/admin/login/", {"username": "x", "password": "y"})
    page = client.get("/admin/login/")

    assert refused.status_code == 403  # no CSRF token
    assert "csrftoken" in page.cookies
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    assert "sessionid" in client.cookies


def test_the_app_compresses_only_under_make_run(client: Client) -> None:
    response = client.get("/api/v1/reference/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "Content-Encoding" not in response  # production and the test settings: the proxy's

    show = "from django.conf import settings\nprint('\\n'.join(settings.MIDDLEWARE))"
    local = django_shell({"DJANGO_SETTINGS_MODULE": "marketplace.settings.local"}, show)
    production = django_shell(PRODUCTION_ENV, show)
    assert local.returncode == 0, local.stderr
    assert production.returncode == 0, production.stderr
    assert "django.middleware.gzip.GZipMiddleware" in local.stdout.splitlines()
    assert "django.middleware.gzip.GZipMiddleware" not in production.stdout


def test_the_proxy_compresses_json() -> None:
    config = (ROOT / "deploy/nginx/marketplace.conf").read_text()
    assert "gzip on;" in config
    assert "application/json" in config.split("gzip_types", 1)[1].split(";", 1)[0]
