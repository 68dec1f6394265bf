"""Listing cards — what a feed, search or favorites item shows — built from plain rows.

Every swipe asks for a page of cards, so they skip the ORM's model instances and DRF's
per-field machinery: one `values()` query fetches exactly the columns a card shows (its
seller, business and key details joined in; the cover is kept on the listing row by the media
services), and plain functions shape them. `ListingCardSerializer` documents the same shape
for the schema and builds it for model instances through `card_of`: one way to word a card.
"""

import functools
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.encoding import filepath_to_uri

from accounts.models import User
from business.models import Business

from .models import Category, Favorite, Listing, ListingMedia
from .money import converted_prices

Row = dict[str, Any]

# The columns a card shows, as `values()` names: the listing's own, then the joined rows'.
CARD_COLUMNS = (
    "id",
    "category",
    "title",
    "price",
    "currency",
    "price_kgs",
    "price_kzt",
    "price_usd",
    "is_negotiable",
    "city",
    "region",
    "boosted_until",
    "views_count",
    "favorites_count",
    "published_at",
    "cover_video",
    "cover_poster",
    "cover_image",
    "author_id",
    "author__display_name",
    "author__avatar",
    "business_id",
    "business__name",
    "business__logo",
    "business__verified",
    "car__make",
    "car__model",
    "car__year",
    "car__mileage_km",
    "horse__breed",
    "horse__sex",
    "horse__birth_year",
    "real_estate__property_type",
    "real_estate__deal_type",
    "real_estate__rooms",
    "real_estate__area_m2",
)
# A media item's columns, as `values()` names (files as storage names).
MEDIA_COLUMNS = (
    "id",
    "kind",
    "file",
    "poster",
    "thumbnail",
    "rendition",
    "duration_s",
    "position",
    "processing",
)
COVER_COLUMNS = (
    ("video_url", "cover_video"),
    ("poster_url", "cover_poster"),
    ("image_url", "cover_image"),
)


def iso_time(value: datetime, zone: tzinfo) -> str:
    """A time as DRF's DateTimeField writes it: in the current time zone, UTC as `Z`."""
    text = value.astimezone(zone).isoformat()
    return f"{text[:-6]}Z" if text.endswith("+00:00") else text


@functools.cache
def _url_prefix(storage: Any) -> str | None:
    """The prefix that `storage.url(name)` puts before the quoted name, if it is only that
    (a file system, or a bucket behind a public domain); None for signed URLs."""
    sample = "listings/x/y.jpg"
    prefix = storage.url("")
    return prefix if storage.url(sample) == f"{prefix}{sample}" else None


def card_rows(
    listings: QuerySet[Listing], *, viewer: Any, extra: tuple[str, ...] = ()
) -> QuerySet[Listing, Row]:
    """`listings` as card rows, with `is_favorited` for the `viewer` (a user id, or None when
    anonymous) and the `extra` columns (a sort key); order and slice it after."""
    if viewer is not None:
        favorited: Any = Exists(Favorite.objects.filter(user_id=viewer, listing=OuterRef("pk")))
    else:
        favorited = Value(False)
    return listings.annotate(is_favorited=favorited).values(*CARD_COLUMNS, "is_favorited", *extra)


class CardBuilder:
    """Shapes card rows for one request: media URLs are absolute, as the request saw the host."""

    # Every file of a media item is kept in the same storage as its `file`.
    media_storage = ListingMedia._meta.get_field("file").storage
    _avatar_storage = User._meta.get_field("avatar").storage
    _logo_storage = Business._meta.get_field("logo").storage

    def __init__(self, request: Any) -> None:
        self.request = request
        self._origin = request.build_absolute_uri("/")[:-1]
        self._year = timezone.localdate().year
        self._now = timezone.now()
        self._zone = timezone.get_current_timezone()

    def url(self, storage: Any, name: str) -> str | None:
        if not name:
            return None
        prefix = _url_prefix(storage)
        url = f"{prefix}{filepath_to_uri(name)}" if prefix is not None else storage.url(name)
        if url.startswith("/") and not url.startswith("//"):
            # What build_absolute_uri makes of a path, without parsing the host every time.
            return f"{self._origin}{url}"
        return str(self.request.build_absolute_uri(url))

    def cover(self, row: Row) -> dict[str, str]:
        """The video when there is one (its rendition once made), else the first photo."""
        cover: dict[str, str] = {}
        for key, column in COVER_COLUMNS:
            if row[column]:
                cover[key] = str(self.url(self.media_storage, row[column]))
        return cover

    def key_details(self, row: Row) -> dict[str, Any]:
        category = row["category"]
        if category == Category.CAR:
            return {
                "make": row["car__make"],
                "model": row["car__model"],
                "year": row["car__year"],
                "mileage_km": row["car__mileage_km"],
            }
        if category == Category.HORSE:
            return {
                "breed": row["horse__breed"],
                "sex": row["horse__sex"],
                "age": self._year - row["horse__birth_year"],
            }
        return {
            "property_type": row["real_estate__property_type"],
            "deal_type": row["real_estate__deal_type"],
            "rooms": row["real_estate__rooms"],
            "area_m2": f"{row['real_estate__area_m2']:.2f}",
        }

    def seller(self, row: Row) -> dict[str, Any]:
        seller: dict[str, Any] = {
            "id": str(row["author_id"]),
            "display_name": row["author__display_name"],
            "avatar_url": self.url(self._avatar_storage, row["author__avatar"]),
            "is_business": row["business_id"] is not None,
        }
        if row["business_id"] is not None:
            seller["business"] = {
                "id": str(row["business_id"]),
                "name": row["business__name"],
                "logo_url": self.url(self._logo_storage, row["business__logo"]),
                "verified": row["business__verified"],
            }
        return seller

    def card(self, row: Row) -> dict[str, Any]:
        prices = {"KGS": row["price_kgs"], "KZT": row["price_kzt"], "USD": row["price_usd"]}
        if any(value is None for value in prices.values()):
            prices = converted_prices(row["price"], row["currency"])
        boosted_until: datetime | None = row["boosted_until"]
        published_at = row["published_at"]
        return {
            "id": str(row["id"]),
            "category": row["category"],
            "title": row["title"],
            "price": f"{row['price']:.2f}",
            "currency": row["currency"],
            "prices": {code: f"{value:.2f}" for code, value in prices.items()},
            "is_negotiable": row["is_negotiable"],
            "city": row["city"],
            "region": row["region"],
            "cover": self.cover(row),
            "key_details": self.key_details(row),
            "seller": self.seller(row),
            "is_boosted": boosted_until is not None and boosted_until > self._now,
            "views_count": row["views_count"],
            "favorites_count": row["favorites_count"],
            "is_favorited": bool(row["is_favorited"]),
            "published_at": iso_time(published_at, self._zone) if published_at else None,
        }

    def cards(self, rows: list[Row]) -> list[dict[str, Any]]:
        return [self.card(row) for row in rows]


def row_of(listing: Listing, columns: Iterable[str] = CARD_COLUMNS) -> Row:
    """A model instance (with its author, business and details loaded) as a row of `columns`
    (a card's unless said), with `is_favorited`."""
    details = getattr(listing, listing.category, None)
    row: Row = {}
    for column in columns:
        owner, _, name = column.rpartition("__")
        if not owner:
            row[column] = getattr(listing, column)
        elif owner in Category.values:
            row[column] = getattr(details, name) if owner == listing.category else None
        else:
            related = getattr(listing, owner)
            value = getattr(related, name) if related is not None else None
            row[column] = value.name if isinstance(value, FieldFile) else value
    row["is_favorited"] = getattr(listing, "is_favorited", False)
    return row


def media_row(media: ListingMedia) -> Row:
    """A media item's model instance as a row of `MEDIA_COLUMNS`."""
    row: Row = {}
    for column in MEDIA_COLUMNS:
        value = getattr(media, column)
        row[column] = value.name if isinstance(value, FieldFile) else value
    return row


def card_of(listing: Listing, request: Any) -> dict[str, Any]:
    """The card of a model instance (with its author, business and details loaded)."""
    return CardBuilder(request).card(row_of(listing))
