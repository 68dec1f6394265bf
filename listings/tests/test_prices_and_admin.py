"""Exchange rates: staff change them in the admin, and every listing's prices follow."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from accounts.models import AuditEntry, Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from listings.models import ExchangeRate, Listing
from listings.services.prices import exchange_rate_set, listings_recompute_prices
from listings.tests.conftest import CAR, ESTATE, add_image, client_for, create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None))
    return client


def test_a_new_rate_recomputes_every_listings_prices(
    author: Any, django_capture_on_commit_callbacks: Any
) -> None:
    usd = create(author, ESTATE).json()["id"]
    kgs = create(author, CAR).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        exchange_rate_set(currency="USD", kgs_per_unit=Decimal("90"), actor=None)

    estate = Listing.objects.get(pk=usd)
    assert estate.price_kgs == Decimal("6120000.00")
    assert estate.price_usd == Decimal("68000.00")
    car = Listing.objects.get(pk=kgs)
    assert car.price_usd == (Decimal("1850000") / Decimal("90")).quantize(Decimal("0.01"))
    body = client_for(author).get(f"/api/v1/listings/{usd}/").json()
    assert body["prices"]["KGS"] == "6120000.00"
    assert AuditEntry.objects.filter(action="exchange_rate.changed").exists()


def test_recomputing_twice_changes_nothing(author: Any) -> None:
    create(author, ESTATE)
    listings_recompute_prices()
    before = list(Listing.objects.values_list("price_kgs", "price_kzt", "price_usd"))

    listings_recompute_prices()

    assert list(Listing.objects.values_list("price_kgs", "price_kzt", "price_usd")) == before


def test_staff_edit_a_rate_in_the_admin(
    staff_client: Client, author: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listing_id = create(author, ESTATE).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/listings/exchangerate/USD/change/", {"currency": "USD", "kgs_per_unit": "88"}
        )

    assert response.status_code == 302
    assert ExchangeRate.objects.get(currency="USD").kgs_per_unit == Decimal("88")
    assert Listing.objects.get(pk=listing_id).price_kgs == Decimal("5984000.00")


def test_staff_read_a_listing_with_its_details_and_media(staff_client: Client, author: Any) -> None:
    listing_id = create(author, CAR).json()["id"]
    add_image(listing_id)

    listing_page = staff_client.get(f"/admin/listings/listing/{listing_id}/change/")
    changelist = staff_client.get("/admin/listings/listing/?category__exact=car")

    assert listing_page.status_code == 200
    assert b"Camry" in listing_page.content
    assert b"<img" in listing_page.content
    assert changelist.status_code == 200
    assert CAR["title"].encode() in changelist.content
