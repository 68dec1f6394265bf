"""Web pages of listings: the home page at `/` (the admin's "View site" link leads here)."""

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from .models import Category, Listing, Status


@require_safe
@cache_control(public=True, max_age=60)
def home(request: HttpRequest) -> HttpResponse:
    counts = dict(
        Listing.objects.filter(status=Status.ACTIVE)
        .values_list("category")
        .annotate(n=Count("pk"))
        .values_list("category", "n")
    )
    categories = [
        {"value": category.value, "label": category.label, "count": counts.get(category.value, 0)}
        for category in Category
    ]
    return render(request, "listings/home.html", {"categories": categories})
