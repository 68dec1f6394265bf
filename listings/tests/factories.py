"""Factories of the listings models, for every app's tests."""

from typing import Any

import factory
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from business.models import Business
from listings.models import Listing, Status
from listings.serializers import ListingCreateSerializer
from listings.services.listings import listing_create
from listings.tests.conftest import CAR, ESTATE, HORSE, add_image

# The valid create payload of each category (the API tests' own).
PAYLOADS = {"car": CAR, "horse": HORSE, "real_estate": ESTATE}


class ListingFactory(factory.Factory):
    """A listing row as the API writes it: the category's payload with the other keyword
    arguments laid over it, validated by the create serializer and saved by `listing_create`
    (so the prices, details and search fields are right); then given a photo unless
    `image=False`, and put in `status` (active by default, published now).

        ListingFactory(category="horse", city="Нарын", status="draft", author=seller)
    """

    class Meta:
        model = Listing

    author = factory.SubFactory(UserFactory)
    category = "car"
    business: Business | None = None
    status = Status.ACTIVE
    image = True
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Status.ACTIVE else None
    )

    @classmethod
    def _create(
        cls,
        model_class: type[Listing],
        *,
        author: User,
        category: str,
        business: Business | None,
        status: str,
        image: bool,
        published_at: Any,
        **changes: Any,
    ) -> Listing:
        serializer = ListingCreateSerializer(data={**PAYLOADS[category], **changes})
        serializer.is_valid(raise_exception=True)
        listing, _ = listing_create(
            author=author, data=dict(serializer.validated_data), business=business
        )
        if image:
            add_image(listing.pk)
        model_class.objects.filter(pk=listing.pk).update(status=status, published_at=published_at)
        return model_class.objects.get(pk=listing.pk)
