"""Every read of listings, scoped by listings.permissions and shaped for a fixed query count."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.http import Http404
from django.utils import timezone

from business.models import UNCAPPED_STATUSES, Business
from business.permissions import business_get_public
from core.db import Bound, Row, Values, prepared_rows
from core.ids import uuid_or_404

from .cards import CARD_COLUMNS, MEDIA_COLUMNS, card_rows
from .models import (
    QUOTA_STATUSES,
    Favorite,
    Listing,
    ListingMedia,
    MediaKind,
    MediaProcessing,
    details_of,
)
from .permissions import listings_editable_by, listings_visible_to, seller_side_q
from .serializers.details import DETAILS_SERIALIZERS
from .serializers.listings import DETAIL_COLUMNS


def with_card_data(listings: QuerySet[Listing], *, user: Any) -> QuerySet[Listing]:
    """Everything a listing's answer shows, in one query plus one for media."""
    listings = listings.select_related(
        "author", "business", "car", "horse", "real_estate"
    ).prefetch_related("media")
    if user is not None and user.is_authenticated:
        favorited = Favorite.objects.filter(user=user, listing=OuterRef("pk"))
        return listings.annotate(is_favorited=Exists(favorited))
    return listings.annotate(is_favorited=Value(False))


def _get(listings: QuerySet[Listing], listing_id: Any) -> Listing:
    listing = listings.filter(pk=uuid_or_404(listing_id)).first()
    if listing is None:
        raise Http404
    return listing


def listing_get_for_viewer(*, user: Any, listing_id: Any) -> Listing:
    """404 both for a missing listing and for one the caller may not see."""
    return _get(with_card_data(listings_visible_to(user), user=user), listing_id)


def listing_get_for_reading(*, user: Any, listing_id: Any) -> tuple[Row, list[Row]]:
    """The listing `listing_get_for_viewer` finds, as its own page shows it: its row of
    `DETAIL_COLUMNS` with `is_favorited`, and its media rows. 404 as there.

    Rows, not model instances, and an anonymous caller's statements compiled once
    (`core.db.prepared_rows`): building and compiling the ORM's query cost the answer more
    than PostgreSQL spent on it."""
    pk = uuid_or_404(listing_id)
    viewer = user.pk if user is not None and user.is_authenticated else None
    extra = tuple(column for column in DETAIL_COLUMNS if column not in CARD_COLUMNS)

    def listing(values: Values) -> QuerySet[Listing, Row]:
        visible = listings_visible_to(user).filter(pk=values.uuid("listing"))
        return card_rows(visible, viewer=viewer, extra=extra)

    def media(values: Values) -> QuerySet[ListingMedia, Row]:
        items = ListingMedia.objects.filter(listing_id=values.uuid("listing"))
        # The media's own order (`ListingMedia.Meta.ordering`), as its prefetch has it.
        return items.order_by("position", "created_at").values(*MEDIA_COLUMNS)

    values = {"listing": pk}
    if viewer is None:
        rows = prepared_rows(("listing detail",), listing, values)
    else:  # the caller's own listings and favorites: a shape per caller, compiled each time
        rows = list(listing(Bound(values)))
    if not rows:
        raise Http404
    return rows[0], prepared_rows(("listing media",), media, values)


def listing_get_for_editor(*, user: Any, listing_id: Any) -> Listing:
    """The listing if the caller is on its seller side; 404 otherwise (never 403)."""
    return _get(with_card_data(listings_editable_by(user), user=user), listing_id)


def listing_is_seller_side(*, user: Any, listing: Listing) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if listing.business_id is None:
        return bool(listing.author_id == user.pk)
    return Listing.objects.filter(seller_side_q(user), pk=listing.pk).exists()


def listings_of_user(
    *, user: Any, status: str | None = None, business: Any = None
) -> QuerySet[Listing]:
    """The user's personal listings and those of their businesses, every status but archived."""
    listings = listings_editable_by(user)
    if status:
        listings = listings.filter(status=status)
    if business:
        listings = listings.filter(business_id=business)
    return with_card_data(listings, user=user).order_by("-created_at")


def personal_pool_q(user_id: Any) -> Q:
    """The listings that share a user's personal limit: their personal ones and those of the
    businesses they created that never paid and are out of their trial.

    Those businesses are looked up first (a few rows, most often none): as a subquery inside
    the OR, PostgreSQL read the whole listings table instead of its author index."""
    unfunded = list(
        Business.objects.filter(created_by_id=user_id, subscription_plan__isnull=True)
        .exclude(subscription_status__in=UNCAPPED_STATUSES)
        .values_list("pk", flat=True)
    )
    personal = Q(author_id=user_id, business__isnull=True)
    return personal | Q(business_id__in=unfunded) if unfunded else personal


def personal_quota(user: Any) -> dict[str, int]:
    """`/me`'s listing_quota: listings held against the personal limit."""
    used = Listing.objects.filter(personal_pool_q(user.pk), status__in=QUOTA_STATUSES).count()
    return {"used": used, "limit": settings.PERSONAL_LISTING_LIMIT}


def media_pending_videos(*, older_than: timedelta) -> list[Any]:
    """Ids of videos still waiting for processing after `older_than`."""
    cutoff = timezone.now() - older_than
    return list(
        ListingMedia.objects.filter(
            kind=MediaKind.VIDEO, processing=MediaProcessing.PENDING, created_at__lt=cutoff
        ).values_list("pk", flat=True)
    )


def favorites_of_user(*, user: Any) -> QuerySet[Favorite]:
    """The user's favorites whose listing they may still see, newest favorite first.

    A Favorite queryset, so pages are ordered by when each listing was favorited; every
    `.listing` comes with its card fields, so a page costs three queries whatever its length:
    the favorites, their listings, their media.
    """
    listings = with_card_data(Listing.objects.all(), user=user)
    return (
        Favorite.objects.filter(user=user, listing__in=listings_visible_to(user))
        .prefetch_related(Prefetch("listing", queryset=listings))
        .order_by("-created_at")
    )


def business_listings(*, user: Any, business_id: Any) -> QuerySet[Listing]:
    """A business's listings as the caller may see them (through the one visibility
    function): active ones for anyone, every status but archived for its members. 404 for a
    business that does not exist."""
    business = business_get_public(business_id=business_id)
    return listings_visible_to(user).filter(business=business)


def details_snapshot(listing: Listing) -> dict[str, Any]:
    """The listing's category details as the API shows them (the contract's names and values),
    for readers outside the API: the pre-check's snapshot."""
    return dict(DETAILS_SERIALIZERS[listing.category](details_of(listing)).data)


def favorited_among(*, user: Any, ids: list[Any]) -> list[Any]:
    """Which of these listings `user` has favourited (one query on their unique pair)."""
    if not ids:
        return []
    return list(
        Favorite.objects.filter(user=user, listing_id__in=ids).values_list("listing_id", flat=True)
    )
