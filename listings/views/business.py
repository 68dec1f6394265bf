"""A business's listings (`GET /business/{id}/listings/`): served by `listings`, which owns
listings and their cards; `business` sits below and cannot."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import PAGING, CursorPagination

from ..cards import CardBuilder, card_rows
from ..models import Listing
from ..selectors import business_listings
from ..serializers import ListingCardSerializer


class BusinessListingCardSerializer(ListingCardSerializer):
    """A card with its status: the business's members see every status but archived."""

    class Meta:
        model = Listing
        fields: tuple[str, ...] = (*ListingCardSerializer.Meta.fields, "status")
        read_only_fields = fields


class BusinessListingPageSerializer(serializers.Serializer):
    results = BusinessListingCardSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class BusinessListingsView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(
        parameters=PAGING,
        responses=BusinessListingPageSerializer,
        operation_id="business_listings",
        summary="A business's listings",
        description="Cards of its active listings for anyone; every status but archived, with "
        "`status`, for its members. Newest first.",
    )
    def get(self, request: Request, pk: Any) -> Response:
        viewer = request.user.pk if request.user.is_authenticated else None
        rows = card_rows(
            business_listings(user=request.user, business_id=pk),
            viewer=viewer,
            extra=("status", "created_at"),
        )
        paginator = CursorPagination()
        page: list[dict[str, Any]] = paginator.paginate_queryset(rows, request, view=self) or []
        builder = CardBuilder(request)
        cards = [{**builder.card(row), "status": row["status"]} for row in page]
        return paginator.get_paginated_response(cards)
