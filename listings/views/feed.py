from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from core.pagination import PAGING, parse_page_size

from ..cards import CardBuilder
from ..feed import Cursor, Page, feed_page, search_page
from ..models import Category
from ..serializers import (
    CardPageSerializer,
    FeedFiltersSerializer,
    SearchFiltersSerializer,
)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50


def page_size(request: Request) -> int:
    return parse_page_size(request, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def cursor_of(request: Request) -> Cursor | None:
    token = request.query_params.get("cursor")
    return Cursor.decode(token) if token else None


def answer(request: Request, page: Page) -> Response:
    next_url = None
    if page.next is not None:
        next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next.encode())
    cards = CardBuilder(request).cards(page.items)
    return Response({"results": cards, "next": next_url, "previous": None})


def _filters(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class FeedView(APIView):
    """The vertical video feed: boosted first, then newest; the cursor pins the scroll."""

    permission_classes = (AllowAny,)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "category", enum=Category.values, description="Only cards of this category."
            ),
            *PAGING,
        ],
        responses=CardPageSerializer,
        operation_id="listings_feed",
        summary="The vertical video feed",
        description="Cards of active listings: those with a live boost first, then the rest, "
        "newest published first within each. The cursor pins the moment the scroll began, so "
        "no card repeats or is skipped while the user scrolls.",
    )
    def get(self, request: Request) -> Response:
        filters = _filters(FeedFiltersSerializer, request)
        page = feed_page(
            user=request.user,
            category=filters.get("category"),
            cursor=cursor_of(request),
            size=page_size(request),
        )
        return answer(request, page)


def search(request: Request) -> Response:
    """`GET /listings/` (the listing viewset's list): search over active listings."""
    filters = _filters(SearchFiltersSerializer, request)
    page = search_page(
        user=request.user, filters=filters, cursor=cursor_of(request), size=page_size(request)
    )
    return answer(request, page)
