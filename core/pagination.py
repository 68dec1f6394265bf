from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination as DRFCursorPagination

# The query parameters of every cursor-paged list, for its schema.
PAGING = [
    OpenApiParameter(
        "cursor", str, description="Opaque: the cursor of the previous page's `next` link."
    ),
    OpenApiParameter(
        "page_size", int, description="From 1; default 20; larger values are capped at 50."
    ),
]


def parse_page_size(request: Any, default: int, maximum: int) -> int:
    """`page_size`: a whole number from 1; above `maximum` it is capped, not refused."""
    raw = request.query_params.get("page_size")
    if raw is None:
        return default
    try:
        wanted = int(raw)
    except ValueError:
        wanted = 0
    if wanted < 1:
        raise ValidationError({"page_size": [_("A whole number of at least 1.")]})
    return min(wanted, maximum)


class CursorPagination(DRFCursorPagination):
    """The contract's cursor pages: `{results, next, previous}`, 20 by default, at most 50.

    A larger `page_size` is capped, not refused. A cursor that does not decode is a 400 on the
    `cursor` field (DRF answers 404, which would read as "the list is gone").
    """

    page_size = 20
    max_page_size = 50
    page_size_query_param = "page_size"
    ordering = "-created_at"

    def get_page_size(self, request: Any) -> int:
        return parse_page_size(request, self.page_size, self.max_page_size)

    def decode_cursor(self, request: Any) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [_("Invalid cursor.")]}) from None
