"""The real URLconf: unknown /api/ paths are JSON 404s even with DEBUG on; elsewhere DEBUG's
404 page, which lists every route, answers the local machine only."""

import ipaddress
import uuid
from typing import Any

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client
from django.urls import path

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_path(client: Client, settings: Any, debug: bool, method: str) -> None:
    settings.DEBUG = debug

    response = getattr(client, method)("/api/v1/definitely-not-here/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/listings/feed/", "/api/v1/no-such-thing/"])
def test_an_api_request_to_a_foreign_host_is_invalid_in_the_error_shape(
    settings: Any, debug: bool, path: str
) -> None:
    settings.DEBUG = debug
    client = Client(raise_request_exception=False, REMOTE_ADDR="127.0.0.1")

    response = client.get(path, HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["message"]
    assert client.get("/admin/login/", HTTP_HOST="evil.example").status_code == 400


def test_schema_rejects_other_methods_in_the_error_shape(client: Client) -> None:
    response = client.post("/api/schema/")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_pages_outside_the_api_keep_html_404s(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# Django's debug 404 page, and what it gives away.
DEBUG_PAGE = b"Django tried these URL patterns"
ROUTE = b"api/v1/"


@pytest.mark.parametrize(
    "caller",
    [
        {"REMOTE_ADDR": "192.168.1.20"},
        {"REMOTE_ADDR": "203.0.113.9"},
        # A made-up header from a peer that is not a trusted proxy changes nothing.
        {"REMOTE_ADDR": "192.168.1.20", "HTTP_X_FORWARDED_FOR": "127.0.0.1"},
        # Through a trusted proxy on this machine, the caller is the one it forwards for.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
    ],
    ids=["lan", "internet", "spoofed-forwarded-for", "behind-a-local-proxy"],
)
@pytest.mark.parametrize("path", ["/no-such-page/", "/payments/test-checkout/not-an-id/"])
def test_debug_404s_are_plain_for_other_machines(
    settings: Any, caller: dict[str, str], path: str
) -> None:
    settings.DEBUG = True
    if caller["REMOTE_ADDR"] == "127.0.0.1":
        settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.0/8")]

    response = Client(**caller).get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert DEBUG_PAGE not in response.content
    assert ROUTE not in response.content


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_X_FORWARDED_FOR": "203.0.113.9"},
        {"HTTP_FORWARDED": "for=203.0.113.9"},
        {"HTTP_X_REAL_IP": "203.0.113.9"},
    ],
)
def test_a_tunnel_on_this_machine_is_not_a_local_caller(
    settings: Any, header: dict[str, str]
) -> None:
    """ngrok, an ssh tunnel or a local nginx connect from loopback for callers anywhere; with
    TRUSTED_PROXIES empty, what they add still tells them apart."""
    settings.DEBUG = True

    response = Client(REMOTE_ADDR="127.0.0.1", **header).get("/no-such-page/")

    assert response.status_code == 404
    assert DEBUG_PAGE not in response.content


def test_a_views_404_is_plain_for_other_machines(settings: Any) -> None:
    settings.DEBUG = True
    path = f"/payments/test-checkout/{uuid.uuid4()}/"

    response = Client(REMOTE_ADDR="192.168.1.20").get(path)

    assert response.status_code == 404
    assert b"Raised by" not in response.content
    assert b"TestCheckoutView" not in response.content


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_the_local_machine_gets_the_debug_404(settings: Any, address: str) -> None:
    settings.DEBUG = True

    response = Client(REMOTE_ADDR=address).get("/no-such-page/")

    assert response.status_code == 404
    assert DEBUG_PAGE in response.content
    assert ROUTE in response.content


def test_a_missing_slash_still_redirects_for_other_machines(settings: Any) -> None:
    settings.DEBUG = True

    response = Client(REMOTE_ADDR="192.168.1.20").get("/admin")

    assert response.status_code == 301
    assert response["Location"] == "/admin/"


# A URLconf of views that fail, to see Django's debug error pages (this module is the root).
def _fails(request: Any) -> Any:
    raise RuntimeError("detail-only-a-traceback-shows")


def _suspicious(request: Any) -> Any:
    raise SuspiciousOperation("detail-only-the-debug-400-shows")


urlpatterns = [path("fails/", _fails), path("suspicious/", _suspicious)]
handler404 = "marketplace.api.views.handler404"
handler500 = "marketplace.api.views.handler500"


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/fails/", 500, b"detail-only-a-traceback-shows"),
        ("/suspicious/", 400, b"detail-only-the-debug-400-shows"),
    ],
)
def test_debug_error_pages_are_plain_for_other_machines(
    settings: Any, path: str, status: int, detail: bytes
) -> None:
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__

    response = Client(REMOTE_ADDR="192.168.1.20", raise_request_exception=False).get(path)

    assert response.status_code == status
    assert detail not in response.content
    assert b"Traceback" not in response.content
    assert b"SECRET_KEY" not in response.content


@pytest.mark.parametrize(
    "caller",
    [
        {"REMOTE_ADDR": "192.168.1.20"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"},
    ],
    ids=["lan", "local-proxy"],
)
def test_errors_raised_before_any_view_are_plain_for_other_machines(
    settings: Any, caller: dict[str, str]
) -> None:
    settings.DEBUG = True
    client = Client(raise_request_exception=False, **caller)

    foreign_host = client.get("/admin/", HTTP_HOST="evil.example")
    fields = "&".join(f"f{i}=x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    too_many_fields = client.post(
        "/admin/login/", fields, content_type="application/x-www-form-urlencoded"
    )

    for response in (foreign_host, too_many_fields):
        assert response.status_code == 400
        assert b"Traceback" not in response.content
        assert b"DisallowedHost" not in response.content
        assert b"TooManyFieldsSent" not in response.content
        assert b"sys.path" not in response.content.replace(b"&#x27;", b"'")


def test_the_local_machine_gets_the_debug_500(settings: Any) -> None:
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__

    response = Client(REMOTE_ADDR="127.0.0.1", raise_request_exception=False).get("/fails/")

    assert response.status_code == 500
    assert b"detail-only-a-traceback-shows" in response.content
