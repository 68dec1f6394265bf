from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from business.models import Business
from business.tests.factories import BusinessFactory, MembershipFactory
from listings.models import Listing, ListingMedia
from listings.services.media import media_refresh_cover
from tests.helpers import client_for

CAR = {
    "category": "car",
    "title": "Toyota Camry 70, full option",
    "description": "One owner, serviced at the dealer.",
    "price": "1850000",
    "currency": "KGS",
    "city": "Бишкек",
    "region": "Чуйская область",
    "details": {"make": "Toyota", "model": "Camry", "year": 2019, "mileage_km": 84000},
}
HORSE = {
    "category": "horse",
    "title": "Жеребец для кок-бору",
    "price": 350000,
    "currency": "KGS",
    "city": "Нарын",
    "details": {"breed": "Новокиргизская", "sex": "stallion", "birth_year": 2019},
}
ESTATE = {
    "category": "real_estate",
    "title": "2-комнатная квартира, 106 серия",
    "price": "68000.00",
    "currency": "USD",
    "city": "Бишкек",
    "details": {
        "property_type": "apartment",
        "deal_type": "sale",
        "area_m2": "52.5",
        "rooms": 2,
        "floor": 5,
        "floors_total": 9,
    },
}


@pytest.fixture
def author() -> Any:
    return UserFactory()


@pytest.fixture
def stranger() -> Any:
    return UserFactory()


@pytest.fixture
def moderator() -> Any:
    return user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None)


@pytest.fixture
def dealer() -> Business:
    return BusinessFactory(name="Bishkek Motors", slug="bishkek-motors")


@pytest.fixture
def dealer_admin(dealer: Business) -> Any:
    return MembershipFactory(business=dealer, role="admin").user


@pytest.fixture
def dealer_seller(dealer: Business) -> Any:
    return MembershipFactory(business=dealer, role="seller").user


def create(user: Any, payload: dict[str, Any] | None = None, **changes: Any) -> Any:
    return client_for(user).post(
        "/api/v1/listings/", {**(payload or CAR), **changes}, format="json"
    )


def active_listing(user: Any, **changes: Any) -> Listing:
    """A listing created through the API and published."""
    response = create(user, **changes)
    assert response.status_code == 201, response.content
    Listing.objects.filter(pk=response.json()["id"]).update(
        status="active", published_at=timezone.now()
    )
    return Listing.objects.get(pk=response.json()["id"])


def add_image(listing_id: Any) -> ListingMedia:
    listing = Listing.objects.get(pk=listing_id)
    media = ListingMedia(listing=listing, kind="image")
    media.file.save("photo.jpg", ContentFile(b"\xff\xd8\xff fake jpeg"), save=False)
    media.save()
    media_refresh_cover(listing=listing)
    return media
