from typing import Any

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import user_set_role
from business.models import Business, Membership
from listings.models import Listing, ListingMedia
from listings.services.media import media_refresh_cover
from tests.factories import UserFactory

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


def client_for(user: Any = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


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
    return Business.objects.create(name="Bishkek Motors", slug="bishkek-motors")


@pytest.fixture
def dealer_admin(dealer: Business) -> Any:
    user = UserFactory()
    Membership.objects.create(business=dealer, user=user, role="admin")
    return user


@pytest.fixture
def dealer_seller(dealer: Business) -> Any:
    user = UserFactory()
    Membership.objects.create(business=dealer, user=user, role="seller")
    return user


def create(user: Any, payload: dict[str, Any] | None = None, **changes: Any) -> Any:
    return client_for(user).post(
        "/api/v1/listings/", {**(payload or CAR), **changes}, format="json"
    )


def add_image(listing_id: Any) -> ListingMedia:
    listing = Listing.objects.get(pk=listing_id)
    media = ListingMedia(listing=listing, kind="image")
    media.file.save("photo.jpg", ContentFile(b"\xff\xd8\xff fake jpeg"), save=False)
    media.save()
    media_refresh_cover(listing=listing)
    return media
