"""`GET /reference/`: the choice and suggestion lists the app builds its pickers from."""

from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField

from ..reference import reference_data

# Public, the same for every caller, and changed only by a deploy: shared caches may keep it.
MAX_AGE = 3600


class ReferenceItemSerializer(serializers.Serializer):
    value = StrictCharField(help_text="What the app sends; stable, never translated.")
    # DRF takes declared fields off the class; mypy sees Field.label, a string.
    label = StrictCharField(  # type: ignore[assignment]
        help_text="What the app shows, in the request's language."
    )


def _items() -> ReferenceItemSerializer:
    return ReferenceItemSerializer(many=True)


class ReferenceCarMakeSerializer(ReferenceItemSerializer):
    models = ReferenceItemSerializer(many=True)


class ReferenceRegionSerializer(ReferenceItemSerializer):
    cities = ReferenceItemSerializer(many=True)


class ReferenceCarSerializer(serializers.Serializer):
    body_types = _items()
    fuels = _items()
    transmissions = _items()
    drives = _items()
    steering = _items()
    conditions = _items()
    makes = ReferenceCarMakeSerializer(many=True, help_text="Suggestions for `make` and `model`.")


class ReferenceHorseSerializer(serializers.Serializer):
    sexes = _items()
    purposes = _items()
    breeds = ReferenceItemSerializer(many=True, help_text="Suggestions for `breed`.")


class ReferenceRealEstateSerializer(serializers.Serializer):
    property_types = _items()
    deal_types = _items()
    building_series = ReferenceItemSerializer(
        many=True, help_text="Suggestions for `building_series`."
    )


class ReferenceSerializer(serializers.Serializer):
    categories = _items()
    statuses = _items()
    currencies = _items()
    car = ReferenceCarSerializer()
    horse = ReferenceHorseSerializer()
    real_estate = ReferenceRealEstateSerializer()
    media_kinds = _items()
    report_reasons = _items()
    regions = ReferenceRegionSerializer(many=True, help_text="Suggestions for `region` and `city`.")


class ReferenceView(APIView):
    """Anyone may read it; a stale token must not turn it into a 401."""

    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(
        responses=ReferenceSerializer,
        parameters=[
            OpenApiParameter(
                "Accept-Language",
                location=OpenApiParameter.HEADER,
                description="The language of the labels: ru, ky or en (default ru).",
            )
        ],
        operation_id="reference",
        summary="Choice and suggestion lists",
        description="Every choice list with localized labels, and the suggestion lists (car "
        "makes and models, horse breeds, regions and cities, building series) that free-text "
        "fields accept but do not require. Public and cacheable for an hour.",
    )
    def get(self, request: Request) -> Response:
        response = Response(ReferenceSerializer(reference_data()).data)
        patch_cache_control(response, public=True, max_age=MAX_AGE)
        patch_vary_headers(response, ("Accept-Language",))
        return response
