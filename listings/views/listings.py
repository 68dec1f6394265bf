from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import request_user
from business.permissions import membership_of
from core.pagination import PAGING
from core.schema import error_codes

from ..cards import CardBuilder, Row, media_row, row_of
from ..exceptions import (
    InvalidTransition,
    ListingLimitReached,
    MediaRequired,
    NotABusinessSeller,
)
from ..models import Listing, Status
from ..selectors import (
    listing_get_for_editor,
    listing_get_for_reading,
    listing_get_for_viewer,
    listing_is_seller_side,
    listings_of_user,
)
from ..serializers import (
    DETAIL_COLUMNS,
    CardPageSerializer,
    ListingCreateSerializer,
    ListingDetailSerializer,
    ListingUpdateSerializer,
    SearchFiltersSerializer,
    listing_detail,
)
from ..services.listings import (
    listing_archive,
    listing_create,
    listing_mark_sold,
    listing_submit,
    listing_update,
)
from . import feed
from .engagement import count_listing_view


class ListingViewSet(viewsets.GenericViewSet):
    """Listings by id. Lookups go through the scoping selectors: 404 for what is not yours."""

    serializer_class = ListingDetailSerializer
    http_method_names = ("get", "post", "patch", "delete", "head", "options")
    throttle_scope = "listing_write"

    def get_permissions(self) -> list[Any]:
        public = self.action in ("retrieve", "list")
        return [AllowAny()] if public else [IsAuthenticated()]

    @extend_schema(
        parameters=[SearchFiltersSerializer, *PAGING],
        responses=CardPageSerializer,
        operation_id="listings_search",
        summary="Search active listings",
        description="Cards, newest published first unless `ordering` says otherwise. Unknown "
        "choice values and impossible ranges (`price_min` above `price_max`) are a 400, not an "
        "empty page. The first page may be up to 2 seconds old: it is shared by every caller "
        "asking the same URL.",
    )
    def list(self, request: Request) -> Response:
        return feed.search(request)

    def get_queryset(self) -> QuerySet[Listing]:
        return Listing.objects.none()  # every lookup is a scoping selector below

    def _answer(self, listing: Listing, *, code: int = status.HTTP_200_OK) -> Response:
        """The answer to a write: the listing re-read through the selector, with everything
        the answer shows."""
        listing = listing_get_for_viewer(user=self.request.user, listing_id=listing.pk)
        media = [media_row(item) for item in listing.media.all()]
        return Response(self._detail(row_of(listing, DETAIL_COLUMNS), media), status=code)

    def _detail(self, row: Row, media: Sequence[Row]) -> dict[str, Any]:
        user = self.request.user
        # Only the seller side and moderators are shown why it was rejected.
        show_rejection = bool(row["rejection_code"]) and (
            user.is_authenticated
            and (
                user.is_moderator
                or listing_is_seller_side(
                    user=user,
                    # Its keys are all that says whose it is.
                    listing=Listing(
                        pk=row["id"], author_id=row["author_id"], business_id=row["business_id"]
                    ),
                )
            )
        )
        builder = CardBuilder(self.request)
        return listing_detail(row, media, builder, show_rejection=show_rejection)

    def _editable(self, pk: Any) -> Listing:
        return listing_get_for_editor(user=self.request.user, listing_id=pk)

    @extend_schema(
        request=ListingCreateSerializer,
        responses={200: ListingDetailSerializer, 201: ListingDetailSerializer},
        operation_id="listings_create",
        summary="Create a listing (a draft)",
        description="201 `draft`; a repeated `client_id` answers the first listing (200). A "
        "user holds at most 5 personal listings in `draft`, `pending_review` or `active`: "
        "the 6th is `listing_limit_reached`. `business_id` needs that business's admin or "
        "seller role (`permission_denied`).",
    )
    @error_codes(ListingLimitReached, NotABusinessSeller)
    def create(self, request: Request) -> Response:
        serializer = ListingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        business = None
        if data.get("business_id"):
            # Not a member: the same refusal as a business that does not exist.
            membership = membership_of(user=request.user, business_id=data["business_id"])
            if membership is None:
                raise serializers.ValidationError({"business_id": [_("Unknown business.")]})
            business = membership.business
        listing, created = listing_create(
            author=request_user(request),
            data=data,
            business=business,
            client_id=data.get("client_id") or None,
        )
        return self._answer(listing, code=status.HTTP_201_CREATED if created else 200)

    @extend_schema(
        responses=ListingDetailSerializer,
        operation_id="listings_retrieve",
        summary="A listing",
        description="Active listings for all; any status for its seller side and moderators. "
        "Anyone else: 404. Counts a view.",
    )
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        row, media = listing_get_for_reading(user=request.user, listing_id=pk)
        count_listing_view(request, row["id"])
        return Response(self._detail(row, media))

    @extend_schema(
        request=ListingUpdateSerializer,
        responses=ListingDetailSerializer,
        operation_id="listings_update",
        summary="Edit a listing",
        description="Seller side only. Changing the text, price, details or media of an "
        "active (or paused) listing sends it back to `pending_review`, as does a place that is "
        "not in the reference list; that may pass the quota (`listing_limit_reached`).",
    )
    @error_codes(ListingLimitReached)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        listing = self._editable(pk)
        serializer = ListingUpdateSerializer(
            data=request.data, partial=True, context={"listing": listing}
        )
        serializer.is_valid(raise_exception=True)
        listing = listing_update(
            listing=listing,
            actor=request_user(request),
            data=dict(serializer.validated_data),
        )
        return self._answer(listing)

    @extend_schema(
        responses={204: OpenApiResponse(description="Archived.")},
        summary="Delete a listing",
        description="Seller side only: archived, from any status; kept for moderation history, "
        "never shown.",
    )
    def destroy(self, request: Request, pk: Any = None) -> Response:
        listing_archive(listing=self._editable(pk), actor=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=ListingDetailSerializer,
        summary="Submit a listing for review",
        description="`draft` or `rejected` → `pending_review`. Needs a video or an image "
        "(`media_required`); other statuses: `invalid_transition`; past the quota: "
        "`listing_limit_reached`.",
    )
    @error_codes(MediaRequired, InvalidTransition, ListingLimitReached)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        listing = listing_submit(listing=self._editable(pk), actor=request_user(request))
        return self._answer(listing)

    @extend_schema(
        request=None,
        responses=ListingDetailSerializer,
        summary="Mark a listing sold",
        description="`active` → `sold`; any other status: `invalid_transition`.",
    )
    @error_codes(InvalidTransition)
    @action(detail=True, methods=["post"], url_path="mark-sold")
    def mark_sold(self, request: Request, pk: Any = None) -> Response:
        listing = listing_mark_sold(listing=self._editable(pk), actor=request_user(request))
        return self._answer(listing)


class MyListingsFilter(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[s for s in Status.choices if s[0] != Status.ARCHIVED], required=False
    )
    business = serializers.UUIDField(required=False)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "status",
            enum=[s for s in Status.values if s != Status.ARCHIVED],
            description="Only listings in this status.",
        ),
        OpenApiParameter(
            "business", type=str, description="Only the listings of this business (its id)."
        ),
    ],
    summary="The caller's listings",
    description="Their personal listings and those of their businesses, in every status but "
    "archived, newest first.",
)
class MyListingsView(ListAPIView):
    serializer_class = ListingDetailSerializer

    def get_queryset(self) -> QuerySet[Listing]:
        filters = MyListingsFilter(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return listings_of_user(user=self.request.user, **filters.validated_data)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "show_rejection": True}
