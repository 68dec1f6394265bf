"""The stored full-text document of a listing, refreshed on every write."""

from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Value

from ..models import Listing

# PostgreSQL's `russian` configuration stems Russian words and, for Latin ones, English:
# "Тойота камри" and "Toyota Camry" both find what they should.
SEARCH_CONFIG = "russian"

_DETAIL_FIELDS = {
    "car": ("make", "model", "year", "body_type", "fuel", "transmission", "color"),
    "horse": ("breed", "sex", "purpose", "color"),
    "real_estate": ("property_type", "deal_type", "building_series", "address"),
}


def listing_document(listing: Listing) -> tuple[str, str]:
    """(title, everything else) — the two weights of the document."""
    details = getattr(listing, listing.category, None)
    detail_words = [
        str(getattr(details, field))
        for field in _DETAIL_FIELDS[listing.category]
        if details is not None and getattr(details, field) not in (None, "")
    ]
    rest = " ".join([listing.description, listing.city, listing.region, *detail_words])
    return listing.title, rest


def listing_refresh_search_vector(listing: Listing) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite (`make run`) searches with a plain case-insensitive match instead
    title, rest = listing_document(listing)
    Listing.objects.filter(pk=listing.pk).update(
        search_vector=SearchVector(Value(title), weight="A", config=SEARCH_CONFIG)
        + SearchVector(Value(rest), weight="B", config=SEARCH_CONFIG)
    )
