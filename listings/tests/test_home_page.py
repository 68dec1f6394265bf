"""The home page at `/`: what is on sale now, in the visitor's language; the admin's "View
site" link leads to it."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from listings.models import Listing

from .conftest import CAR, ESTATE, HORSE, create

pytestmark = pytest.mark.django_db


def publish(author: Any, payload: dict[str, Any], count: int) -> None:
    for _ in range(count):
        listing_id = create(author, payload).json()["id"]
        Listing.objects.filter(pk=listing_id).update(status="active")


def counts_shown(html: str) -> list[str]:
    block = html.split('id="categories"', 1)[1].split("</ul>", 1)[0]
    return [
        line.strip().removeprefix("<li><span>").removesuffix("</strong></li>")
        for line in block.splitlines()
        if line.strip().startswith("<li>")
    ]


def test_home_page_counts_the_active_listings_of_each_category(
    author: Any, django_assert_num_queries: Any
) -> None:
    publish(author, CAR, 2)
    publish(author, HORSE, 1)
    create(author, ESTATE)  # a draft is not on sale

    with django_assert_num_queries(1):
        response = Client().get("/", HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "max-age=60" in response["Cache-Control"]
    html = response.content.decode()
    assert counts_shown(html) == [
        "Автомобиль</span><strong>2",
        "Лошадь</span><strong>1",
        "Недвижимость</span><strong>0",
    ]
    assert 'href="/api/docs/"' in html

    # The next visitors are answered from the cache, without a query.
    with django_assert_num_queries(0):
        assert Client().get("/", HTTP_ACCEPT_LANGUAGE="ky").status_code == 200


def test_home_page_speaks_kyrgyz_and_answers_only_reads(author: Any) -> None:
    html = Client().get("/", HTTP_ACCEPT_LANGUAGE="ky").content.decode()
    assert "Кыргызстандын унаалары" in html
    assert Client().head("/").status_code == 200
    assert Client().post("/").status_code == 405


def test_the_admins_view_site_link_opens_the_home_page(client: Client) -> None:
    client.force_login(user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None))
    page = client.get("/admin/").content.decode()
    assert 'href="/"' in page
    assert client.get("/").status_code == 200
