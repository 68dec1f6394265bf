"""Every write to a listing goes through here."""

import math
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from business.models import Business
from business.permissions import is_member
from core.tasks import enqueue_on_commit

from ..exceptions import InvalidTransition, MediaRequired, NotABusinessSeller
from ..lifecycle import TRANSITIONS, can_move
from ..locks import lock_listing
from ..metrics import created as listings_created
from ..models import (
    QUOTA_STATUSES,
    CarDetails,
    Category,
    HorseDetails,
    Listing,
    MediaKind,
    RealEstateDetails,
    Status,
)
from ..money import converted_prices
from ..reference import city_centre, is_known_place
from .quota import quota_check, quota_has_room
from .search import listing_refresh_search_vector

DETAILS_MODELS: dict[str, type[CarDetails] | type[HorseDetails] | type[RealEstateDetails]] = {
    Category.CAR: CarDetails,
    Category.HORSE: HorseDetails,
    Category.REAL_ESTATE: RealEstateDetails,
}
# Changing these on an active listing sends it back to review.
SUBSTANTIVE_FIELDS = frozenset({"title", "description", "price", "currency", "details"})
# Where the listing is: an active listing that moves to a place of the reference list, its map
# point (if any) near that city, stays live; any other place a moderator reads first.
PLACE_FIELDS = frozenset({"city", "region", "location"})
# How far from its city's centre a map point may be: the town and its outskirts, short of
# the towns across the border from Osh, Kara-Suu or Batken.
PIN_RADIUS_KM = 30
EARTH_RADIUS_KM = 6371
LISTING_FIELDS = (
    "title",
    "description",
    "price",
    "currency",
    "is_negotiable",
    "city",
    "region",
    "hide_phone",
)


def _set_prices(listing: Listing) -> None:
    prices = converted_prices(listing.price, listing.currency)
    listing.price_kgs, listing.price_kzt, listing.price_usd = (
        prices["KGS"],
        prices["KZT"],
        prices["USD"],
    )


def _set_location(listing: Listing, location: dict[str, Any] | None) -> None:
    listing.latitude = location["lat"] if location else None
    listing.longitude = location["lng"] if location else None


def listing_create(
    *,
    author: User,
    data: dict[str, Any],
    business: Business | None = None,
    client_id: str | None = None,
) -> tuple[Listing, bool]:
    """Create a draft; returns (listing, created). A repeated `client_id` returns the first."""
    if client_id:
        existing = Listing.objects.filter(author=author, client_id=client_id).first()
        if existing is not None:
            return existing, False
    if business is not None and not is_member(user=author, business=business):
        raise NotABusinessSeller
    try:
        with transaction.atomic():
            quota_check(author=author, business=business)
            listing = Listing(
                author=author,
                business=business,
                category=data["category"],
                client_id=client_id or "",
                **{field: data[field] for field in LISTING_FIELDS if field in data},
            )
            _set_location(listing, data.get("location"))
            _set_prices(listing)
            listing.save()
            DETAILS_MODELS[listing.category].objects.create(listing=listing, **data["details"])
            listing_refresh_search_vector(listing)
            audit_record(actor=author, action="listing.created", target=listing)
            category = listing.category
            transaction.on_commit(lambda: listings_created.labels(category).inc())
    except IntegrityError:
        # The same offline draft sent twice at once: the unique constraint kept one.
        if client_id:
            existing = Listing.objects.filter(author=author, client_id=client_id).first()
            if existing is not None:
                return existing, False
        raise
    return listing, True


def _move(
    listing: Listing, target: str, *, actor: User | None, data: dict[str, Any] | None = None
) -> None:
    if not can_move(listing.status, target):
        raise InvalidTransition
    move = TRANSITIONS[(listing.status, target)]
    previous = listing.status
    if previous not in QUOTA_STATUSES and target in QUOTA_STATUSES:
        # Coming back into the count (resubmitted, resumed): the limit holds here as at
        # creation, under the owner's lock.
        quota_check(author=listing.author, business=listing.business)
    elif (previous, target) == (Status.DRAFT, Status.PENDING_REVIEW):
        quota_check(author=listing.author, business=listing.business, counted=True)
    listing.status = target
    if target == Status.ACTIVE and listing.published_at is None:
        listing.published_at = timezone.now()
    if target == Status.PENDING_REVIEW:
        listing.review_requested_at = timezone.now()
    listing.save()
    audit_record(
        actor=actor,
        action=f"listing.{move}",
        target=listing,
        data={"from": previous, "to": target, **(data or {})},
    )
    if target == Status.PENDING_REVIEW:
        enqueue_on_commit("moderation.precheck_listing", listing_id=str(listing.pk))


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _in_known_place(listing: Listing) -> bool:
    if not is_known_place(listing.city) or (listing.region and not is_known_place(listing.region)):
        return False
    if listing.latitude is None or listing.longitude is None:
        return True
    centre = city_centre(listing.city)  # None for a region's name: its point cannot be checked
    point = (float(listing.latitude), float(listing.longitude))
    return centre is not None and _distance_km(centre, point) <= PIN_RADIUS_KM


def _recheck(listing: Listing) -> None:
    """A listing in review changed after its pre-check: check what it shows now."""
    listing.review_requested_at = timezone.now()
    listing.save(update_fields=("review_requested_at",))
    enqueue_on_commit("moderation.precheck_listing", listing_id=str(listing.pk))


def listing_update(*, listing: Listing, actor: User, data: dict[str, Any]) -> Listing:
    """Edit a listing. A substantive edit of an active one sends it back to review (its
    `published_at` is kept for when it is approved again), and so does a move to a place
    outside the reference list or the country, and any edit a buyer would see of a paused
    one; an edit of one in review is pre-checked again."""
    with transaction.atomic():
        listing = lock_listing(listing)
        for field in LISTING_FIELDS:
            if field in data:
                setattr(listing, field, data[field])
        if "location" in data:
            _set_location(listing, data["location"])
        if "price" in data or "currency" in data:
            _set_prices(listing)
        if "details" in data:
            DETAILS_MODELS[listing.category].objects.filter(listing=listing).update(
                **data["details"]
            )
        listing.save()
        # Re-read with fresh details: the cached one-to-one still holds the old ones.
        fresh = Listing.objects.select_related(listing.category).get(pk=listing.pk)
        listing_refresh_search_vector(fresh)
        fields = sorted(data)
        seen = (SUBSTANTIVE_FIELDS | PLACE_FIELDS) & data.keys()
        if listing.status == Status.ACTIVE and SUBSTANTIVE_FIELDS & data.keys():
            _move(listing, Status.PENDING_REVIEW, actor=actor, data={"fields": fields})
        elif listing.status == Status.PAUSED and seen:
            # Paid again, it would go live as it is now: a moderator reads it first.
            _move(listing, Status.PENDING_REVIEW, actor=actor, data={"fields": fields})
        elif listing.status == Status.ACTIVE and seen and not _in_known_place(listing):
            _move(
                listing,
                Status.PENDING_REVIEW,
                actor=actor,
                data={"fields": fields, "reason": "unknown_place"},
            )
        else:
            if listing.status == Status.PENDING_REVIEW and seen:
                _recheck(listing)
            audit_record(
                actor=actor, action="listing.updated", target=listing, data={"fields": fields}
            )
    return listing


def listing_note_media_change(*, listing: Listing, actor: User, change: str) -> None:
    """A media change of an active or paused listing sends it back to review, like a text
    edit.

    Call inside the change's transaction, with the listing row locked.
    """
    if listing.status in (Status.ACTIVE, Status.PAUSED):
        _move(
            listing,
            Status.PENDING_REVIEW,
            actor=actor,
            data={"fields": ["media"], "change": change},
        )
    elif listing.status == Status.PENDING_REVIEW:
        _recheck(listing)


def listing_submit(*, listing: Listing, actor: User) -> Listing:
    with transaction.atomic():
        listing = lock_listing(listing)
        if listing.status not in (Status.DRAFT, Status.REJECTED):
            raise InvalidTransition
        if not listing.media.filter(kind__in=(MediaKind.VIDEO, MediaKind.IMAGE)).exists():
            raise MediaRequired
        _move(listing, Status.PENDING_REVIEW, actor=actor)
    return listing


def listing_mark_sold(*, listing: Listing, actor: User) -> Listing:
    with transaction.atomic():
        listing = lock_listing(listing)
        _move(listing, Status.SOLD, actor=actor)
    return listing


def listing_archive(*, listing: Listing, actor: User) -> Listing:
    """Archive from any status: gone from every list, kept for moderation history."""
    with transaction.atomic():
        listing = lock_listing(listing)
        if listing.status != Status.ARCHIVED:
            _move(listing, Status.ARCHIVED, actor=actor)
    return listing


def _archive_personal(user: User, *, actor: User | None, reason: str) -> None:
    for listing in Listing.objects.filter(author=user, business__isnull=True).exclude(
        status=Status.ARCHIVED
    ):
        _move(listing, Status.ARCHIVED, actor=actor, data={"reason": reason})


def archive_personal_listings(user: User) -> None:
    """Account deletion: the user's personal listings leave every list (business ones stay)."""
    _archive_personal(user, actor=user, reason="account_deleted")


def archive_personal_listings_of_banned(user: User, *, actor: User | None) -> None:
    """A ban: as for a deletion, recorded as the staff's act. Business listings stay with the
    business, which the user's ban does not punish."""
    _archive_personal(user, actor=actor, reason="banned")


def listing_approve(*, listing: Listing, actor: User | None) -> Listing:
    """pending_review → active (`published_at` set the first time); a business listing whose
    business has lapsed and holds its free listings already goes to `paused` instead, to be
    resumed when it pays. Moderation's decision service wraps this with its event and the
    seller's notification; it locks the owner first (`lock_listing`)."""
    with transaction.atomic():
        listing = lock_listing(listing)
        if listing.status != Status.PENDING_REVIEW:
            raise InvalidTransition  # a paused listing resumes by payment, not by approval
        if listing.business_id is not None and not quota_has_room(
            author=listing.author, business=listing.business, counted=True
        ):
            _move(listing, Status.PAUSED, actor=actor, data={"reason": "listing_limit"})
        else:
            _move(listing, Status.ACTIVE, actor=actor)
    return listing


def listing_reject(*, listing: Listing, actor: User | None, code: str, note: str = "") -> Listing:
    """pending_review or active → rejected, with the reason the seller side is shown."""
    with transaction.atomic():
        listing = lock_listing(listing)
        if not can_move(listing.status, Status.REJECTED):
            raise InvalidTransition
        listing.rejection_code, listing.rejection_note = code, note
        _move(listing, Status.REJECTED, actor=actor, data={"code": code})
    return listing
