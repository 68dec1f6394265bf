"""Favorites, phone reveals, reports and view counting: what buyers do to a listing."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_user
from core.api import NO_CONTENT
from core.client_ip import client_ip
from core.fields import StrictCharField
from core.schema import error_codes

from ..exceptions import AlreadyReported, CannotReportOwn, PhoneHidden
from ..models import Favorite, Report, ReportReason
from ..selectors import favorites_of_user, listing_get_for_viewer
from ..serializers import ListingCardSerializer
from ..services.engagement import (
    favorite_add,
    favorite_remove,
    listing_count_view,
    listing_reveal_phone,
    report_create,
)


def count_listing_view(request: Request, listing_id: Any) -> None:
    """Count this read of a listing toward its views: once a day per user, or per address for
    anonymous callers; never the seller side's own."""
    user = request.user
    if user.is_authenticated:
        listing_count_view(listing_id=listing_id, viewer_key=f"user:{user.pk}", user_id=user.pk)
    else:
        listing_count_view(listing_id=listing_id, viewer_key=f"ip:{client_ip(request)}")


class FavoriteView(APIView):
    @extend_schema(
        request=None,
        responses={204: NO_CONTENT},
        operation_id="listings_favorite",
        summary="Favorite a listing",
        description="Idempotent. A listing the caller cannot see: 404.",
    )
    def post(self, request: Request, pk: Any) -> Response:
        listing = listing_get_for_viewer(user=request.user, listing_id=pk)
        favorite_add(user=request_user(request), listing=listing)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={204: NO_CONTENT},
        operation_id="listings_unfavorite",
        summary="Unfavorite a listing",
        description="Idempotent; works after the listing left the caller's sight (sold, "
        "paused). Without a favorite, a listing they cannot see is a 404.",
    )
    def delete(self, request: Request, pk: Any) -> Response:
        # A favorite can be removed after its listing left the caller's sight (sold, paused):
        # they know that one exists. Without a favorite, a listing they cannot see is a 404.
        if not favorite_remove(user=request_user(request), listing_id=pk):
            listing_get_for_viewer(user=request.user, listing_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyFavoritesView(ListAPIView):
    """The caller's favorited listings that they may still see, the latest favorited first."""

    serializer_class = ListingCardSerializer

    def get_queryset(self) -> QuerySet[Favorite]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema is being built
            return Favorite.objects.none()
        # Favorites, not listings: the default cursor pagination then orders by
        # `-created_at` of the favorite, i.e. by when each listing was favorited.
        return favorites_of_user(user=request_user(self.request))

    @extend_schema(
        operation_id="me_favorites",
        summary="The caller's favorites",
        description="Cards of the favorited listings they may still see, "
        "the latest favorited first.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        listings = [favorite.listing for favorite in page or ()]
        return self.get_paginated_response(self.get_serializer(listings, many=True).data)


class PhoneSerializer(serializers.Serializer):
    phone = StrictCharField(help_text="E.164, e.g. +996700123456.")


class PhoneRevealView(APIView):
    @extend_schema(
        request=None,
        responses={200: PhoneSerializer},
        operation_id="listings_phone",
        summary="Reveal the seller's phone",
        description="The business's phone for a business listing. With `hide_phone`: 404 "
        "`phone_hidden` (chat only). Each reveal is counted for the seller's statistics; at "
        "most 30 per user an hour (429); 503 when that limit cannot be checked.",
    )
    @error_codes(PhoneHidden)
    def post(self, request: Request, pk: Any) -> Response:
        phone = listing_reveal_phone(user=request_user(request), listing_id=pk)
        return Response(PhoneSerializer({"phone": phone}).data)


class ReportCreateSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    comment = StrictCharField(max_length=1000, required=False, allow_blank=True)


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ("id", "reason", "comment", "status", "created_at")
        read_only_fields = fields


class ReportView(APIView):
    throttle_scope = "report"

    @extend_schema(
        request=ReportCreateSerializer,
        responses={201: ReportSerializer},
        operation_id="listings_report",
        summary="Report a listing",
        description="For the moderators. A second report by the same user: "
        "`already_reported`; reporting one's own listing: `cannot_report_own`.",
    )
    @error_codes(AlreadyReported, CannotReportOwn)
    def post(self, request: Request, pk: Any) -> Response:
        # Who may see it first: a listing the caller cannot see is a 404 whatever the body.
        listing = listing_get_for_viewer(user=request.user, listing_id=pk)
        serializer = ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = report_create(
            reporter=request_user(request),
            listing=listing,
            reason=serializer.validated_data["reason"],
            comment=serializer.validated_data.get("comment", ""),
        )
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)
