from collections.abc import Callable
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from core.microcache import key_of, microcached
from core.pagination import PAGING, parse_page_size

from ..cards import CardBuilder
from ..feed import Cursor, Page, feed_page, search_page
from ..models import Category
from ..selectors import favorited_among
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


def body(request: Request, page: Page) -> dict[str, Any]:
    next_url = None
    if page.next is not None:
        next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next.encode())
    cards = CardBuilder(request).cards(page.items)
    return {"results": cards, "next": next_url, "previous": None}


def answer(request: Request, page_for: Callable[[Any], Page]) -> Response:
    """`page_for(user)` answered. A first page (no cursor) is shared by every caller for
    FEED_CACHE_SECONDS: computed once as an anonymous caller sees it, keyed by the whole URL,
    with a signed-in caller's favourites laid over it (one indexed query)."""
    if request.query_params.get("cursor"):
        return Response(body(request, page_for(request.user)))
    url = (request.scheme, request.get_host(), request.path, sorted(request.query_params.lists()))
    shared = microcached(
        key_of("cards", *url), settings.FEED_CACHE_SECONDS, lambda: body(request, page_for(None))
    )
    if request.user.is_authenticated:
        shared = with_favorites(shared, request.user)
    return Response(shared)


def with_favorites(page: dict[str, Any], user: Any) -> dict[str, Any]:
    favorited = {
        str(pk) for pk in favorited_among(user=user, ids=[c["id"] for c in page["results"]])
    }
    cards = [{**card, "is_favorited": card["id"] in favorited} for card in page["results"]]
    return {**page, "results": cards}


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
        "no card repeats or is skipped while the user scrolls. The first page may be up to 2 "
        "seconds old: it is shared by every caller asking the same URL.",
    )
    def get(self, request: Request) -> Response:
        filters = _filters(FeedFiltersSerializer, request)
        cursor, size = cursor_of(request), page_size(request)
        return answer(
            request,
            lambda user: feed_page(
                user=user, category=filters.get("category"), cursor=cursor, size=size
            ),
        )


def search(request: Request) -> Response:
    """`GET /listings/` (the listing viewset's list): search over active listings."""
    filters = _filters(SearchFiltersSerializer, request)
    cursor, size = cursor_of(request), page_size(request)
    return answer(
        request, lambda user: search_page(user=user, filters=filters, cursor=cursor, size=size)
    )
