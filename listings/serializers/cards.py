"""The card: everything a feed or search item shows, without another call; and a page of cards."""

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from core.fields import StrictCharField

from ..cards import card_of
from ..models import Listing
from .listings import PricesSerializer, SellerSerializer


class CoverSerializer(serializers.Serializer):
    video_url = serializers.URLField(required=False)
    poster_url = serializers.URLField(required=False)
    image_url = serializers.URLField(required=False)


class CarKeyDetails(serializers.Serializer):
    make = StrictCharField()
    model = StrictCharField()
    year = serializers.IntegerField()
    mileage_km = serializers.IntegerField()


class HorseKeyDetails(serializers.Serializer):
    breed = StrictCharField()
    sex = StrictCharField()
    age = serializers.IntegerField()


class RealEstateKeyDetails(serializers.Serializer):
    property_type = StrictCharField()
    deal_type = StrictCharField()
    rooms = serializers.IntegerField(allow_null=True)
    area_m2 = serializers.DecimalField(max_digits=10, decimal_places=2)


KEY_DETAILS_SCHEMA = PolymorphicProxySerializer(
    component_name="ListingKeyDetails",
    serializers=[CarKeyDetails, HorseKeyDetails, RealEstateKeyDetails],
    resource_type_field_name=None,
)


@extend_schema_field(KEY_DETAILS_SCHEMA)
class KeyDetailsField(serializers.JSONField):
    pass


class ListingCardSerializer(serializers.ModelSerializer):
    """The card's shape, for the schema; `listings.cards` builds it (see `card_of`)."""

    price = serializers.DecimalField(max_digits=15, decimal_places=2)
    prices = PricesSerializer()
    cover = CoverSerializer()
    key_details = KeyDetailsField()
    seller = SellerSerializer()
    is_boosted = serializers.BooleanField()
    is_favorited = serializers.BooleanField()

    class Meta:
        model = Listing
        fields = (
            "id",
            "category",
            "title",
            "price",
            "currency",
            "prices",
            "is_negotiable",
            "city",
            "region",
            "cover",
            "key_details",
            "seller",
            "is_boosted",
            "views_count",
            "favorites_count",
            "is_favorited",
            "published_at",
        )
        read_only_fields = fields

    def to_representation(self, instance: Listing) -> dict[str, Any]:
        return card_of(instance, self.context["request"])


class CardPageSerializer(serializers.Serializer):
    results = ListingCardSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
