"""Row locks on listings and their rows; every `select_for_update` of this app is here.

The project takes rows in one order (docs/architecture.md, "Row locks"): a payment, then
users (by id), then a business, then listings (several: by their query's order), a listing's
media (by position), then its promotions. A listing move that may count against the free quota
locks the quota's owner first (`lock_listing`), so the count cannot change between reading and
writing; a change that the quota does not see (a boost, a pre-check verdict) locks the listing
row alone.
"""

from typing import Any

from django.db.models import QuerySet

from accounts.locks import lock_users
from accounts.models import User
from business.locks import lock_business
from business.models import Business

from .models import ExchangeRate, Listing, ListingMedia, Status


def lock_owner(*, author: User, business: Business | None) -> Business | None:
    """Lock the rows a new or returning listing of (author, business) is counted under: the
    author, or the business's creator and then the business. The business as locked, or None.
    Call inside a transaction, before locking any listing."""
    if business is None:
        lock_users([author.pk])
        return None
    creator_id = Business.objects.values_list("created_by_id", flat=True).get(pk=business.pk)
    lock_users([creator_id])
    return lock_business(business.pk)


def listings_for_update(*, skip_locked: bool = False) -> QuerySet[Listing]:
    """Listing rows only (`of`), whatever the query joins."""
    return Listing.objects.select_for_update(of=("self",), skip_locked=skip_locked)


def lock_listing(listing: Listing, *, archived: bool = True) -> Listing:
    """The listing's row (its author loaded), locked after its quota owner's: any move may
    count against the quota. With `archived=False` an archived listing is gone
    (Listing.DoesNotExist, a 404)."""
    lock_owner(author=listing.author, business=listing.business)
    rows = listings_for_update().select_related("author")
    if not archived:
        rows = rows.exclude(status=Status.ARCHIVED)
    return rows.get(pk=listing.pk)


def listing_lock_for_boost(*, listing_id: Any) -> Listing:
    """The listing's row alone (a boost does not touch the quota)."""
    return listings_for_update().get(pk=listing_id)


def listing_try_lock_for_boost(*, listing_id: Any) -> Listing | None:
    """Like `listing_lock_for_boost`, but None at once when another transaction holds it."""
    return listings_for_update(skip_locked=True).filter(pk=listing_id).first()


def lock_media(listing: Listing) -> list[ListingMedia]:
    """The listing's media in their order, locked; the caller holds the listing's lock."""
    return list(
        ListingMedia.objects.select_for_update()
        .filter(listing=listing)
        .order_by("position", "created_at")
    )


def exchange_rates_for_update() -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.select_for_update()
