"""The vertical feed and search: keyset pages that stay still while the catalogue moves.

A cursor pins the moment the scroll began (`pin`): only listings published by then are shown,
and "boosted" means boosted at that moment, so a listing published, boosted or unboosted
while the user scrolls never makes a card repeat or go missing. Pages are walked by keyset —
`WHERE (key, id) < (last key, last id)` on an index — never OFFSET, so page 50 costs what
page 1 does.
"""

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.functions import Cast, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from core.db import Values, prepared_rows

from .cards import Row, card_rows
from .models import Listing, Status
from .money import price_column
from .services.search import SEARCH_CONFIG


def _invalid_cursor() -> ValidationError:
    return ValidationError({"cursor": [_("Invalid cursor.")]})


@dataclass
class Cursor:
    """Opaque to the client: base64 of a small JSON object."""

    pin: datetime
    part: str = ""  # the feed: "boosted" or "rest"; search: its ordering mode
    after: list[Any] = field(default_factory=list)  # the last item's sort key, then its id

    def encode(self) -> str:
        payload = {"pin": self.pin.isoformat(), "part": self.part, "after": self.after}
        raw = json.dumps(payload, separators=(",", ":"), default=str).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload = json.loads(raw)
            pin = datetime.fromisoformat(payload["pin"])
            after = payload["after"]
            part = payload["part"]
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise _invalid_cursor() from None
        if timezone.is_naive(pin) or not isinstance(after, list) or not isinstance(part, str):
            raise _invalid_cursor()
        return cls(pin=pin, part=part, after=after)


def _after(keys: list[str], values: list[Any], descending: bool) -> Q:
    """Keyset condition `(k1, k2, ...) < (v1, v2, ...)` (or `>`), spelled out for the ORM."""
    op = "lt" if descending else "gt"
    condition = Q()
    for index in range(len(keys) - 1, -1, -1):
        strict = Q(**{f"{keys[index]}__{op}": values[index]})
        equal = Q(**{keys[i]: values[i] for i in range(index)})
        condition = (equal & strict) if not condition else (equal & strict) | condition
    # Implied by the above, but an index range can start from it where the OR cannot.
    bound = Q(**{f"{keys[0]}__{op}e": values[0]})
    return bound & condition


def _parse_after(after: list[Any], kinds: tuple[type, ...]) -> list[Any]:
    if len(after) != len(kinds):
        raise _invalid_cursor()
    try:
        values = [
            datetime.fromisoformat(v) if kind is datetime else kind(v)
            for v, kind in zip(after, kinds, strict=True)
        ]
    except (ValueError, TypeError, AttributeError, InvalidOperation):
        raise _invalid_cursor() from None
    if any(isinstance(v, datetime) and timezone.is_naive(v) for v in values):
        raise _invalid_cursor()
    return values


@dataclass
class Page:
    items: list[Row]  # card rows (listings.cards)
    next: Cursor | None


def _boosted_at(pin: datetime) -> Q:
    return Q(boost_started_at__lte=pin, boosted_until__gt=pin)


KEY_COLUMNS = ("id", "published_at")  # a feed card's place: its keyset


def _feed_keys(
    *,
    segment: str,
    pin: datetime,
    category: str | None,
    after: list[Any] | None,
    limit: int,
) -> list[Row]:
    """The ids and publication times of one part of the feed, newest first, after the cursor's
    card. The listings table alone: PostgreSQL plans this in a tenth of a millisecond, where
    the cards' joins took it two on every request (their plan depends on the moment, so it
    is planned each time); the cards are read by id after (`cards_by_id`, planned once)."""

    def build(values: Values) -> QuerySet[Listing, Row]:
        at = values.datetime("pin")
        listings = Listing.objects.filter(status=Status.ACTIVE, published_at__lte=at)
        if category:
            listings = listings.filter(category=values.text("category"))
        boosted = _boosted_at(at)
        listings = listings.filter(boosted) if segment == "boosted" else listings.exclude(boosted)
        if after is not None:
            last = [values.datetime("after_published"), values.uuid("after_id")]
            listings = listings.filter(_after(["published_at", "id"], last, descending=True))
        return listings.order_by("-published_at", "-id").values(*KEY_COLUMNS)[:limit]

    shape = ("feed", segment, bool(category), after is not None, limit)
    last_published, last_id = after or (None, None)
    values = {
        "pin": pin,
        "category": category,
        "after_published": last_published,
        "after_id": last_id,
    }
    return prepared_rows(shape, build, values)


def feed_page(*, user: Any, category: str | None, cursor: Cursor | None, size: int) -> Page:
    """Active listings boosted at the pin first, then the rest; newest published first in each."""
    pin = cursor.pin if cursor else timezone.now()
    part = cursor.part if cursor else "boosted"
    after = _parse_after(cursor.after, (datetime, uuid.UUID)) if cursor and cursor.after else None
    if part not in ("boosted", "rest"):
        raise _invalid_cursor()
    keys: list[Row] = []
    following: Cursor | None = None
    for segment in ("boosted", "rest"):
        if segment == "boosted" and part == "rest":
            continue
        wanted = size - len(keys)
        rows = _feed_keys(
            segment=segment,
            pin=pin,
            category=category,
            after=after if segment == part else None,
            limit=wanted + 1,
        )
        if len(rows) > wanted:
            if wanted == 0:  # the page ended exactly with the boosted part
                following = Cursor(pin, segment, [])
                break
            keys += rows[:wanted]
            last = keys[-1]
            following = Cursor(pin, segment, [last["published_at"].isoformat(), str(last["id"])])
            break
        keys += rows
    viewer = user.pk if user is not None and user.is_authenticated else None
    cards = cards_by_id([row["id"] for row in keys], viewer=viewer)
    # A listing no longer active since the first statement is left out of the page.
    return Page([cards[row["id"]] for row in keys if row["id"] in cards], following)


# --- Search -------------------------------------------------------------------------------------


def _words(q: str) -> list[str]:
    """Words as PostgreSQL's parser sees them: "2-комн." is "2" and "комн", "кок-бору" is
    "кок" and "бору" (a hyphenated word is indexed as its parts too)."""
    return [word for word in re.split(r"\W+", q) if word]


def _text_query(q: str) -> SearchQuery | None:
    """Every word must match; the last one as a prefix, as users type."""
    words = _words(q)
    if not words:
        return None
    terms = [*words[:-1], f"{words[-1]}:*"]
    return SearchQuery(" & ".join(terms), search_type="raw", config=SEARCH_CONFIG)


# How many of the newest matches a text search ranks by relevance.
TEXT_CANDIDATES = 1000
# Queries of at most this many words fall back to similar titles when no word matches.
TYPO_FALLBACK_WORDS = 2

TEXT_FILTERS = {
    "city": "city",
    "region": "region",
    "make": "car__make",
    "model": "car__model",
    "breed": "horse__breed",
}
CHOICE_FILTERS = {
    "fuel": "car__fuel",
    "transmission": "car__transmission",
    "body_type": "car__body_type",
    "sex": "horse__sex",
    "purpose": "horse__purpose",
    "property_type": "real_estate__property_type",
    "deal_type": "real_estate__deal_type",
    "rooms": "real_estate__rooms",
}


def _filtered(filters: dict[str, Any]) -> QuerySet[Listing]:
    listings = Listing.objects.filter(status=Status.ACTIVE)
    if filters.get("category"):
        listings = listings.filter(category=filters["category"])
    for name, path in TEXT_FILTERS.items():
        if filters.get(name):
            # Case-insensitive equality, matching the UPPER(...) indexes.
            alias = f"_{name}_upper"
            listings = listings.alias(**{alias: Upper(path)}).filter(
                **{f"{alias}__in": [value.upper() for value in filters[name]]}
            )
    for name, path in CHOICE_FILTERS.items():
        if filters.get(name):
            listings = listings.filter(**{f"{path}__in": filters[name]})
    ranges = {
        "year_min": "car__year__gte",
        "year_max": "car__year__lte",
        "mileage_max": "car__mileage_km__lte",
        "area_min": "real_estate__area_m2__gte",
        "area_max": "real_estate__area_m2__lte",
    }
    for name, lookup in ranges.items():
        if filters.get(name) is not None:
            listings = listings.filter(**{lookup: filters[name]})
    column = price_column(filters["currency"])
    if filters.get("price_min") is not None:
        listings = listings.filter(**{f"{column}__gte": filters["price_min"]})
    if filters.get("price_max") is not None:
        listings = listings.filter(**{f"{column}__lte": filters["price_max"]})
    if filters.get("business"):
        listings = listings.filter(business_id=filters["business"])
    return listings


def _ranked(
    matches: QuerySet[Listing], query: SearchQuery, *, pin: datetime, after: Any, limit: int
) -> list[dict[str, Any]]:
    """A page of text matches by relevance: the newest TEXT_CANDIDATES matches, ranked and
    sorted here (a few hundred rows; ranking every match of a common word, "квартира": most
    of real estate, would cost a second at a million listings)."""
    score = Cast(SearchRank(F("search_vector"), query), FloatField())
    newest = matches.order_by("-published_at", "-id").annotate(score=score)
    candidates: list[Any] = list(newest.values("score", "id")[:TEXT_CANDIDATES])
    candidates.sort(key=lambda row: (row["score"], row["id"]), reverse=True)
    if after is not None:
        last = tuple(after)
        candidates = [row for row in candidates if (row["score"], row["id"]) < last]
    return candidates[:limit]


def search_page(*, user: Any, filters: dict[str, Any], cursor: Cursor | None, size: int) -> Page:
    """Active listings matching every filter, in the requested order, by keyset."""
    pin = cursor.pin if cursor else timezone.now()
    listings = _filtered(filters).filter(published_at__lte=pin)
    q = (filters.get("q") or "").strip()
    ordering = filters.get("ordering") or ("relevance" if q else "-published_at")
    mode = cursor.part if cursor else ""
    ranked: tuple[QuerySet[Listing], SearchQuery] | None = None  # matches to rank here
    if q and connection.vendor != "postgresql":
        listings = listings.filter(Q(title__icontains=q) | Q(description__icontains=q))
        if ordering == "relevance":
            ordering = "-published_at"
    elif q:
        query = _text_query(q)
        if query is None:
            listings = listings.none()
        elif mode == "similar":
            # No word matched (see below): perhaps a typo. Titles alike, most alike first.
            mode = "similar"
            # Word similarity: "Mersedes" is close to the word "Mercedes" in a long title.
            listings = listings.annotate(
                score=Cast(TrigramWordSimilarity(q, "title"), FloatField())
            ).filter(title__trigram_word_similar=q)
        else:
            mode = "text"
            matches = listings.filter(search_vector=query)
            if ordering == "relevance":
                ranked = (matches, query)
            else:
                candidates = matches.order_by("-published_at", "-id").values("pk")
                listings = listings.filter(pk__in=candidates[:TEXT_CANDIDATES])
    kinds: tuple[type, ...]
    if ordering == "relevance" and q and mode in ("text", "similar"):
        keys, kinds, descending = ["score", "id"], (float, uuid.UUID), True
    elif ordering in ("price", "-price"):
        column = price_column(filters["currency"])
        keys, kinds, descending = [column, "id"], (Decimal, uuid.UUID), ordering == "-price"
    else:
        keys, kinds, descending = ["published_at", "id"], (datetime, uuid.UUID), True
    after = _parse_after(cursor.after, kinds) if cursor and cursor.after else None
    keyed: list[dict[str, Any]]
    if ranked is not None:
        keyed = _ranked(*ranked, pin=pin, after=after, limit=size + 1)
    else:
        if after is not None:
            listings = listings.filter(_after(keys, after, descending))
        order = [f"-{key}" if descending else key for key in keys]
        # First the page's ids and sort keys, joining only what the filters need; then the
        # cards of those few. In one statement the planner would join every candidate's
        # seller and details before sorting them to keep 21.
        keyed = list(listings.order_by(*order).values(*keys)[: size + 1])
    if not keyed and mode == "text" and cursor is None and len(_words(q)) <= TYPO_FALLBACK_WORDS:
        # Nothing matched the words: search again for titles that look alike. Only for short
        # queries: a long phrase is "alike" to most titles, and costs a scan of them all.
        return search_page(user=user, filters=filters, cursor=Cursor(pin, "similar", []), size=size)
    viewer = user.pk if user is not None and user.is_authenticated else None
    cards = cards_by_id([row["id"] for row in keyed[:size]], viewer=viewer)
    # A listing no longer active since the first statement is left out of the page.
    items = [cards[row["id"]] for row in keyed[:size] if row["id"] in cards]
    if len(keyed) <= size:
        return Page(items, None)
    values = [keyed[size - 1][key] for key in keys]
    last = [v.isoformat() if isinstance(v, datetime) else str(v) for v in values]
    return Page(items, Cursor(pin, mode, last))


def cards_by_id(ids: list[uuid.UUID], *, viewer: uuid.UUID | None) -> dict[uuid.UUID, Row]:
    """Card rows of a page's active listings, by id, in one statement compiled once per page
    size; one that stopped being active since its id was found (archived, sold, rejected) is
    not among them."""
    if not ids:
        return {}

    def build(values: Values) -> QuerySet[Listing, Row]:
        keys = [values.uuid(f"id{index}") for index in range(len(ids))]
        listings = Listing.objects.filter(pk__in=keys, status=Status.ACTIVE)
        return card_rows(listings, viewer=values.uuid("viewer") if viewer else None)

    bound = {"viewer": viewer, **{f"id{index}": pk for index, pk in enumerate(ids)}}
    rows = prepared_rows(("cards", len(ids), viewer is not None), build, bound)
    return {row["id"]: row for row in rows}
