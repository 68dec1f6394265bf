"""The query strings of the feed and of search."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.fields import StrictCharField

from ..models import (
    CarBody,
    Category,
    Currency,
    DealType,
    Fuel,
    HorsePurpose,
    HorseSex,
    PropertyType,
    Transmission,
)
from .details import short_text


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
