"""Input and output shapes of listings; no business logic."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from core.fields import StrictCharField

from .cards import CardBuilder, card_of, row_of
from .models import (
    PRICE_CEILING,
    VIN_VALIDATOR,
    CarBody,
    CarDetails,
    Category,
    Currency,
    DealType,
    Fuel,
    HorseDetails,
    HorsePurpose,
    HorseSex,
    Listing,
    ListingMedia,
    PropertyType,
    RealEstateDetails,
    Transmission,
)
from .money import converted_prices


def short_text() -> serializers.CharField:
    """The contract's short free text (city, make, breed...): trimmed, 1–100 characters."""
    return StrictCharField(min_length=1, max_length=100)


# --- Details, by category ---------------------------------------------------------------------


class CarDetailsSerializer(serializers.ModelSerializer):
    make = short_text()
    model = short_text()
    year = serializers.IntegerField(min_value=1950)
    mileage_km = serializers.IntegerField(min_value=0, max_value=5_000_000)
    vin = StrictCharField(
        max_length=17, required=False, allow_blank=True, validators=[VIN_VALIDATOR]
    )
    color = StrictCharField(required=False, allow_blank=True, max_length=100)

    class Meta:
        model = CarDetails
        exclude = ("listing",)

    def validate_year(self, value: int) -> int:
        if value > timezone.localdate().year + 1:
            raise serializers.ValidationError(_("The year cannot be after next year."))
        return value

    def validate_vin(self, value: str) -> str:
        return value.upper()


class HorseDetailsSerializer(serializers.ModelSerializer):
    breed = short_text()
    birth_year = serializers.IntegerField()
    color = StrictCharField(required=False, allow_blank=True, max_length=100)

    class Meta:
        model = HorseDetails
        exclude = ("listing",)

    def validate_birth_year(self, value: int) -> int:
        this_year = timezone.localdate().year
        if not this_year - 40 <= value <= this_year:
            raise serializers.ValidationError(_("The birth year must be within the last 40 years."))
        return value


class RealEstateDetailsSerializer(serializers.ModelSerializer):
    area_m2 = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("1000000")
    )
    land_area_sotka = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
    )
    floor = serializers.IntegerField(min_value=-5, max_value=200, required=False, allow_null=True)
    building_series = StrictCharField(required=False, allow_blank=True, max_length=100)

    class Meta:
        model = RealEstateDetails
        exclude = ("listing",)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        floor, total = attrs.get("floor"), attrs.get("floors_total")
        if floor is not None and total is not None and floor > total:
            raise serializers.ValidationError(
                {"floor": [_("The floor cannot be above the building's top floor.")]}
            )
        return attrs


DETAILS_SERIALIZERS: dict[str, type[serializers.ModelSerializer]] = {
    Category.CAR: CarDetailsSerializer,
    Category.HORSE: HorseDetailsSerializer,
    Category.REAL_ESTATE: RealEstateDetailsSerializer,
}

DETAILS_SCHEMA = PolymorphicProxySerializer(
    component_name="ListingDetails",
    serializers=[CarDetailsSerializer, HorseDetailsSerializer, RealEstateDetailsSerializer],
    resource_type_field_name=None,
)


def validate_details(category: str, data: Any) -> dict[str, Any]:
    """Validate `data` for the category; errors come back under `details.<field>`."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"details": [_("Send the details as an object.")]})
    serializer = DETAILS_SERIALIZERS[category](data=data)
    if not serializer.is_valid():
        raise serializers.ValidationError({"details": serializer.errors})
    return dict(serializer.validated_data)


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


# --- Output -----------------------------------------------------------------------------------


def details_of(listing: Listing) -> Any:
    return getattr(listing, listing.category)


def absolute(request: Any, field: Any) -> str | None:
    return request.build_absolute_uri(field.url) if field else None


class PricesSerializer(serializers.Serializer):
    KGS = serializers.DecimalField(max_digits=17, decimal_places=2)
    KZT = serializers.DecimalField(max_digits=17, decimal_places=2)
    USD = serializers.DecimalField(max_digits=17, decimal_places=2)


class MediaSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    duration_s = serializers.FloatField(allow_null=True, read_only=True)

    class Meta:
        model = ListingMedia
        fields = (
            "id",
            "kind",
            "url",
            "poster_url",
            "thumbnail_url",
            "duration_s",
            "position",
            "processing",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_url(self, media: ListingMedia) -> str:
        # The H.264 rendition, once made, is what every client can play.
        return str(absolute(self.context["request"], media.rendition or media.file))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_poster_url(self, media: ListingMedia) -> str | None:
        return absolute(self.context["request"], media.poster)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, media: ListingMedia) -> str | None:
        return absolute(self.context["request"], media.thumbnail)


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


# --- The card: everything a feed or search item shows, without another call ------------------


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


# --- Search filters -----------------------------------------------------------------------------


def _choices(choices: Any, help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices), required=False, help_text=help_text
    )


def _texts(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=short_text(), required=False, help_text=help_text)


REPEAT = " Repeat it for several values."


class QueryFiltersSerializer(serializers.Serializer):
    """Filters from a query string: a filter sent empty (`?category=`) is refused like any
    other value that is not one of its choices, rather than quietly ignored."""

    def to_internal_value(self, data: Any) -> Any:
        names: list[str] = list(self.fields)
        blank = [name for name in names if name != "q" and "" in data.getlist(name, [None])]
        if blank:
            raise serializers.ValidationError(
                {name: [_("This field may not be blank.")] for name in blank}
            )
        return super().to_internal_value(data)


class SearchFiltersSerializer(QueryFiltersSerializer):
    """The query string of `GET /listings/`: each filter may repeat for several values."""

    category = serializers.ChoiceField(
        choices=Category.choices, required=False, help_text="Only listings of this category."
    )
    q = StrictCharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Full-text search over the title, the description and the details.",
    )
    currency = serializers.ChoiceField(
        choices=Currency.choices,
        required=False,
        help_text="The currency of `price_min`, `price_max` and price ordering; by default "
        "the server's default currency (KZT). Listings in other currencies are compared "
        "through their converted `prices`.",
    )
    price_min = serializers.DecimalField(
        max_digits=17,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text="Lowest price, in `currency`.",
    )
    price_max = serializers.DecimalField(
        max_digits=17,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text="Highest price, in `currency`; not below `price_min`.",
    )
    city = _texts("City, matched case-insensitively." + REPEAT)
    region = _texts("Region, matched case-insensitively." + REPEAT)
    make = _texts("Car make, matched case-insensitively (`toyota` finds Toyota)." + REPEAT)
    model = _texts("Car model, matched case-insensitively." + REPEAT)
    breed = _texts("Horse breed, matched case-insensitively." + REPEAT)
    year_min = serializers.IntegerField(
        min_value=1950, max_value=2100, required=False, help_text="Cars from this year on."
    )
    year_max = serializers.IntegerField(
        min_value=1950,
        max_value=2100,
        required=False,
        help_text="Cars up to this year; not below `year_min`.",
    )
    mileage_max = serializers.IntegerField(
        min_value=0, required=False, help_text="Cars with at most this many kilometres."
    )
    fuel = _choices(Fuel.choices, "Car fuel." + REPEAT)
    transmission = _choices(Transmission.choices, "Car transmission." + REPEAT)
    body_type = _choices(CarBody.choices, "Car body type." + REPEAT)
    sex = _choices(HorseSex.choices, "Horse sex." + REPEAT)
    purpose = _choices(HorsePurpose.choices, "Horse purpose." + REPEAT)
    property_type = _choices(PropertyType.choices, "Real estate property type." + REPEAT)
    deal_type = _choices(DealType.choices, "Real estate deal: sale or rent." + REPEAT)
    rooms = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=100),
        required=False,
        help_text="Real estate with this many rooms." + REPEAT,
    )
    area_min = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text="Real estate of at least this area, in m².",
    )
    area_max = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text="Real estate of at most this area, in m²; not below `area_min`.",
    )
    business = serializers.UUIDField(required=False, help_text="Only this business's listings.")
    ordering = serializers.ChoiceField(
        choices=(("-published_at", "-published_at"), ("price", "price"), ("-price", "-price")),
        required=False,
        help_text="`-published_at` (newest first, the default), `price` or `-price` (in "
        "`currency`).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for low, high in (
            ("price_min", "price_max"),
            ("year_min", "year_max"),
            ("area_min", "area_max"),
        ):
            if (
                attrs.get(low) is not None
                and attrs.get(high) is not None
                and attrs[low] > attrs[high]
            ):
                raise serializers.ValidationError(
                    {low: [_("Must not be greater than %(field)s.") % {"field": high}]}
                )
        attrs.setdefault("currency", settings.DEFAULT_CURRENCY)
        return attrs


class FeedFiltersSerializer(QueryFiltersSerializer):
    category = serializers.ChoiceField(choices=Category.choices, required=False)


class CardPageSerializer(serializers.Serializer):
    results = ListingCardSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
