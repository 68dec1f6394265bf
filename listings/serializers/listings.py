"""A listing's input shapes (create, update) and its full output shape."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import StrictCharField

from ..cards import CardBuilder, row_of
from ..models import PRICE_CEILING, Category, Currency, Listing, details_of
from ..money import converted_prices
from .details import DETAILS_SCHEMA, DETAILS_SERIALIZERS, short_text, validate_details
from .media import MediaSerializer

# --- Input ------------------------------------------------------------------------------------


@extend_schema_field(DETAILS_SCHEMA)
class DetailsField(serializers.JSONField):
    """Taken as it comes; validated against the category by `validate_details`. Documented as
    the categories' details objects, so the typed client knows their fields."""


class LocationSerializer(serializers.Serializer):
    lat = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=Decimal(-90), max_value=Decimal(90)
    )
    lng = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=Decimal(-180), max_value=Decimal(180)
    )


class ListingWriteSerializer(serializers.Serializer):
    title = StrictCharField(min_length=5, max_length=120)
    description = StrictCharField(max_length=5000, required=False, allow_blank=True)
    price = serializers.DecimalField(
        max_digits=15,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=PRICE_CEILING - Decimal("0.01"),
    )
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    city = short_text()
    region = StrictCharField(required=False, allow_blank=True, max_length=100)
    location = LocationSerializer(required=False, allow_null=True)
    is_negotiable = serializers.BooleanField(required=False)
    hide_phone = serializers.BooleanField(required=False)
    details = DetailsField(help_text="The category's details object.")


class ListingCreateSerializer(ListingWriteSerializer):
    category = serializers.ChoiceField(choices=Category.choices)
    business_id = serializers.UUIDField(required=False, allow_null=True)
    client_id = StrictCharField(required=False, allow_blank=True, max_length=64)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["details"] = validate_details(attrs["category"], attrs["details"])
        attrs.setdefault("currency", settings.DEFAULT_CURRENCY)
        return attrs


class ListingUpdateSerializer(ListingWriteSerializer):
    """A partial update; details are merged with the stored ones before validation."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        listing: Listing = self.context["listing"]
        if "details" in attrs:
            stored = DETAILS_SERIALIZERS[listing.category](details_of(listing)).data
            if isinstance(attrs["details"], dict):
                merged = {**stored, **attrs["details"]}
            else:
                merged = attrs["details"]
            attrs["details"] = validate_details(listing.category, merged)
        return attrs


# --- Output ------------------------------------------------------------------------------------


class PricesSerializer(serializers.Serializer):
    KGS = serializers.DecimalField(max_digits=17, decimal_places=2)
    KZT = serializers.DecimalField(max_digits=17, decimal_places=2)
    USD = serializers.DecimalField(max_digits=17, decimal_places=2)


class BusinessCardSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()
    logo_url = serializers.URLField(allow_null=True)
    verified = serializers.BooleanField()


class SellerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = StrictCharField()
    avatar_url = serializers.URLField(allow_null=True)
    is_business = serializers.BooleanField()
    business = BusinessCardSerializer(required=False, allow_null=True)


class RejectionSerializer(serializers.Serializer):
    code = StrictCharField()
    note = StrictCharField(allow_blank=True)


class LocationOutSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lng = serializers.FloatField()


class ListingDetailSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=15, decimal_places=2)
    prices = serializers.SerializerMethodField()
    location = serializers.SerializerMethodField()
    details = serializers.SerializerMethodField()
    media = MediaSerializer(many=True, read_only=True)
    seller = serializers.SerializerMethodField()
    is_boosted = serializers.SerializerMethodField()
    is_favorited = serializers.SerializerMethodField()
    rejection_reason = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = (
            "id",
            "category",
            "status",
            "title",
            "description",
            "price",
            "currency",
            "prices",
            "is_negotiable",
            "city",
            "region",
            "location",
            "details",
            "media",
            "seller",
            "hide_phone",
            "is_boosted",
            "boosted_until",
            "views_count",
            "favorites_count",
            "is_favorited",
            "rejection_reason",
            "created_at",
            "updated_at",
            "published_at",
        )
        read_only_fields = fields

    @extend_schema_field(PricesSerializer)
    def get_prices(self, listing: Listing) -> dict[str, str]:
        stored = {"KGS": listing.price_kgs, "KZT": listing.price_kzt, "USD": listing.price_usd}
        if any(value is None for value in stored.values()):
            stored = converted_prices(listing.price, listing.currency)
        return {code: f"{value:.2f}" for code, value in stored.items()}

    @extend_schema_field(LocationOutSerializer(allow_null=True))
    def get_location(self, listing: Listing) -> dict[str, float] | None:
        if listing.latitude is None or listing.longitude is None:
            return None
        return {"lat": float(listing.latitude), "lng": float(listing.longitude)}

    @extend_schema_field(DETAILS_SCHEMA)
    def get_details(self, listing: Listing) -> dict[str, Any]:
        return dict(DETAILS_SERIALIZERS[listing.category](details_of(listing)).data)

    @extend_schema_field(SellerSerializer)
    def get_seller(self, listing: Listing) -> dict[str, Any]:
        return CardBuilder(self.context["request"]).seller(row_of(listing))

    def get_is_boosted(self, listing: Listing) -> bool:
        return listing.boosted_until is not None and listing.boosted_until > timezone.now()

    def get_is_favorited(self, listing: Listing) -> bool:
        return bool(getattr(listing, "is_favorited", False))

    @extend_schema_field(RejectionSerializer(allow_null=True))
    def get_rejection_reason(self, listing: Listing) -> dict[str, str] | None:
        # Only the seller side and moderators are shown why (the view says who is).
        if not self.context.get("show_rejection") or not listing.rejection_code:
            return None
        return {"code": listing.rejection_code, "note": listing.rejection_note}
