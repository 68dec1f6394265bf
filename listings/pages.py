"""Web pages of listings: the home page at `/` (the admin's "View site" link leads here)."""

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from core.metrics import cached_figures

from .models import Category, Listing, Status


def _active_by_category() -> dict[str, int]:
    return dict(
        Listing.objects.filter(status=Status.ACTIVE)
        .values_list("category")
        .annotate(n=Count("pk"))
        .values_list("category", "n")
    )


@require_safe
@cache_control(public=True, max_age=60)
def home(request: HttpRequest) -> HttpResponse:
    # Counted once per CACHE_SECONDS for every visitor: a flood of `/` costs no query.
    counts = cached_figures("home:active-by-category", _active_by_category)
    categories = [
        {"value": category.value, "label": category.label, "count": counts.get(category.value, 0)}
        for category in Category
    ]
    return render(request, "listings/home.html", {"categories": categories})
