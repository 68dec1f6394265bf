"""The real URLconf: unknown /api/ paths are JSON 404s even with DEBUG on."""

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_path(client: Client, settings: Any, debug: bool, method: str) -> None:
    settings.DEBUG = debug

    response = getattr(client, method)("/api/v1/definitely-not-here/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_schema_rejects_other_methods_in_the_error_shape(client: Client) -> None:
    response = client.post("/api/schema/")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_pages_outside_the_api_keep_html_404s(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
