from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_user
from accounts.models import User
from core.pagination import CursorPagination
from core.schema import error_codes
from listings.api import ListingDetailSerializer
from listings.models import Listing
from listings.selectors import listing_get_for_viewer

from .exceptions import AlreadyDecided
from .permissions import IsModerator
from .selectors import latest_prechecks, moderation_history, moderation_queue
from .serializers import (
    DismissSerializer,
    HistoryItemSerializer,
    QueueItemSerializer,
    RejectSerializer,
)
from .services import moderation_approve, moderation_dismiss_reports, moderation_reject


class QueuePagination(CursorPagination):
    ordering = ("-risk", "waiting_since", "id")  # type: ignore[assignment]


class QueueView(ListAPIView):
    """Listings waiting for a decision, riskiest and oldest first."""

    permission_classes = (IsModerator,)
    serializer_class = QueueItemSerializer
    pagination_class = QueuePagination

    def get_queryset(self) -> Any:
        return moderation_queue(user=self.request.user)

    @extend_schema(
        operation_id="moderation_queue",
        summary="The moderation queue",
        description="Moderators only. Listings in `pending_review` and active listings with "
        "open reports, riskiest and oldest first, each with its AI verdict (null while the "
        "pre-check runs) and its open reports count.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        context = {
            **self.get_serializer_context(),
            "prechecks": latest_prechecks([listing.pk for listing in page]),
        }
        data = QueueItemSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)


class ModeratorView(APIView):
    permission_classes = (IsModerator,)

    def moderator(self, request: Request) -> User:
        return request_user(request)

    def listing(self, request: Request, pk: Any) -> Listing:
        # The same scoping selector as everywhere: moderators see every listing.
        return listing_get_for_viewer(user=request.user, listing_id=pk)

    def answer(self, request: Request, listing: Listing) -> Response:
        listing = listing_get_for_viewer(user=request.user, listing_id=listing.pk)
        context = {"request": request, "show_rejection": True}
        return Response(ListingDetailSerializer(listing, context=context).data)


class ApproveView(ModeratorView):
    @extend_schema(
        request=None,
        responses=ListingDetailSerializer,
        operation_id="moderation_approve",
        summary="Approve a listing",
        description="Moderators only. The listing goes `active` (`published_at` set the first "
        "time), or `paused` for a lapsed business that holds its free listings already; the "
        "seller is notified. Not pending: `already_decided`.",
    )
    @error_codes(AlreadyDecided)
    def post(self, request: Request, pk: Any) -> Response:
        listing = moderation_approve(
            listing=self.listing(request, pk), moderator=self.moderator(request)
        )
        return self.answer(request, listing)


class RejectView(ModeratorView):
    @extend_schema(
        request=RejectSerializer,
        responses=ListingDetailSerializer,
        operation_id="moderation_reject",
        summary="Reject a listing",
        description="Moderators only. The listing goes `rejected` and the seller is told why. "
        "An active listing with reports can be rejected too (it leaves the feed). Already "
        "decided: `already_decided`.",
    )
    @error_codes(AlreadyDecided)
    def post(self, request: Request, pk: Any) -> Response:
        listing = self.listing(request, pk)
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = moderation_reject(
            listing=listing,
            moderator=self.moderator(request),
            reason_code=serializer.validated_data["reason_code"],
            note=serializer.validated_data.get("note", ""),
        )
        return self.answer(request, listing)


class DismissReportsView(ModeratorView):
    @extend_schema(
        request=DismissSerializer,
        responses={204: OpenApiResponse(description="Reports closed.")},
        operation_id="moderation_dismiss_reports",
        summary="Dismiss a listing's reports",
        description="Moderators only: its open reports are closed as unfounded. None "
        "open: `already_decided`.",
    )
    @error_codes(AlreadyDecided)
    def post(self, request: Request, pk: Any) -> Response:
        listing = self.listing(request, pk)
        serializer = DismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        moderation_dismiss_reports(
            listing=listing,
            moderator=self.moderator(request),
            note=serializer.validated_data.get("note", ""),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class HistoryView(ModeratorView):
    @extend_schema(
        responses=HistoryItemSerializer(many=True),
        operation_id="moderation_events",
        summary="A listing's moderation history",
        description="Moderators only: AI pre-checks, reports and human decisions, oldest first.",
    )
    def get(self, request: Request, pk: Any) -> Response:
        history = moderation_history(listing=self.listing(request, pk))
        return Response(HistoryItemSerializer(history, many=True).data)
