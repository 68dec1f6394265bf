"""The details of a listing, by category: their serializers, their schema and their validation."""

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from core.fields import StrictCharField

from ..models import (
    VIN_VALIDATOR,
    CarDetails,
    Category,
    HorseDetails,
    RealEstateDetails,
)


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
