"""A listing's input shapes (create, update) and its full output shape."""

import functools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import StrictCharField

from ..cards import CARD_COLUMNS, CardBuilder, Row, iso_time, media_row, row_of
from ..models import PRICE_CEILING, Category, Currency, Listing, details_of
from ..money import converted_prices
from .details import DETAILS_SCHEMA, DETAILS_SERIALIZERS, short_text, validate_details
from .media import MediaSerializer, media_item

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


@extend_schema_field(DETAILS_SCHEMA)
class DetailsOutField(serializers.JSONField):
    """The category's details object, as `DETAILS_SERIALIZERS` shape it."""


# A listing's full answer: its shape, for the schema; `listing_detail` builds it.
class ListingDetailSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=15, decimal_places=2)
    prices = PricesSerializer(read_only=True)
    location = LocationOutSerializer(allow_null=True, read_only=True)
    details = DetailsOutField(read_only=True)
    media = MediaSerializer(many=True, read_only=True)
    seller = SellerSerializer(read_only=True)
    is_boosted = serializers.BooleanField(read_only=True)
    is_favorited = serializers.BooleanField(read_only=True)
    # Only the seller side and moderators are shown why (the view says who is).
    rejection_reason = RejectionSerializer(allow_null=True, read_only=True)

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

    def to_representation(self, instance: Listing) -> dict[str, Any]:
        return listing_detail(
            row_of(instance, DETAIL_COLUMNS),
            [media_row(item) for item in instance.media.all()],
            CardBuilder(self.context["request"]),
            show_rejection=self.context.get("show_rejection"),
        )


@functools.cache
def _details_fields(category: str) -> list[tuple[str, serializers.Field]]:
    """The category's details fields, made once: each renders a value with no state of its
    own, and making a serializer's fields costs more than rendering them."""
    fields = DETAILS_SERIALIZERS[category]().fields
    return [(name, field) for name, field in fields.items() if not field.write_only]


# What a listing's answer shows, as `values()` names: the card's columns, the listing's
# others, and every details field of every category (a listing has one category's).
DETAIL_COLUMNS = tuple(
    dict.fromkeys(
        (
            *CARD_COLUMNS,
            "status",
            "description",
            "hide_phone",
            "latitude",
            "longitude",
            "rejection_code",
            "rejection_note",
            "created_at",
            "updated_at",
            *(
                f"{category}__{name}"
                for category in Category.values
                for name, _field in _details_fields(category)
            ),
        )
    )
)


def listing_detail(
    row: Row, media: Sequence[Row], builder: CardBuilder, *, show_rejection: Any
) -> dict[str, Any]:
    """A listing (a row of `DETAIL_COLUMNS`, with `is_favorited`) and its media rows, as the
    API shows them, in plain code, as cards are: DRF's per-field machinery cost the answer
    more than reading the listing did."""
    prices = {"KGS": row["price_kgs"], "KZT": row["price_kzt"], "USD": row["price_usd"]}
    if any(value is None for value in prices.values()):
        prices = converted_prices(row["price"], row["currency"])
    location = None
    if row["latitude"] is not None and row["longitude"] is not None:
        location = {"lat": float(row["latitude"]), "lng": float(row["longitude"])}
    rejection = None
    if show_rejection and row["rejection_code"]:
        rejection = {"code": row["rejection_code"], "note": row["rejection_note"]}
    category = row["category"]
    details = {}
    for name, field in _details_fields(category):
        value = row[f"{category}__{name}"]
        details[name] = None if value is None else field.to_representation(value)
    zone = timezone.get_current_timezone()

    def when(value: datetime | None) -> str | None:
        return None if value is None else iso_time(value, zone)

    boosted_until = row["boosted_until"]
    return {
        "id": str(row["id"]),
        "category": category,
        "status": row["status"],
        "title": row["title"],
        "description": row["description"],
        "price": f"{row['price']:.2f}",
        "currency": row["currency"],
        "prices": {code: f"{value:.2f}" for code, value in prices.items()},
        "is_negotiable": row["is_negotiable"],
        "city": row["city"],
        "region": row["region"],
        "location": location,
        "details": details,
        "media": [media_item(item, builder) for item in media],
        "seller": builder.seller(row),
        "hide_phone": row["hide_phone"],
        "is_boosted": boosted_until is not None and boosted_until > timezone.now(),
        "boosted_until": when(boosted_until),
        "views_count": row["views_count"],
        "favorites_count": row["favorites_count"],
        "is_favorited": bool(row["is_favorited"]),
        "rejection_reason": rejection,
        "created_at": when(row["created_at"]),
        "updated_at": when(row["updated_at"]),
        "published_at": when(row["published_at"]),
    }
