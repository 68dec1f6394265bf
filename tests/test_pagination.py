"""Cursor pagination as the contract describes it."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.errorcases")]


def test_pages_have_results_next_and_previous() -> None:
    UserFactory.create_batch(25)
    client = APIClient()

    first = client.get("/api/paged/").json()
    second = client.get(first["next"]).json()

    assert set(first) == {"results", "next", "previous"}
    assert len(first["results"]) == 20
    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/paged/?cursor=")
    assert len(second["results"]) == 5
    assert second["next"] is None
    seen = [row["phone"] for row in first["results"] + second["results"]]
    assert len(set(seen)) == 25


def test_a_larger_page_size_is_capped_at_50_not_refused() -> None:
    UserFactory.create_batch(60)

    response = APIClient().get("/api/paged/?page_size=500")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 50


def test_a_cursor_that_does_not_decode_is_a_400_on_the_cursor_field() -> None:
    response = APIClient().get("/api/paged/?cursor=garbage")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"cursor": ["Неверный курсор."]}
