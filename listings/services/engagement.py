"""What buyers do to a listing: favorite it, reveal the phone, report it, view it."""

import logging
from datetime import datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.ratelimit import Limit, hit
from accounts.services import audit_record
from core.inserts import insert_unless_present

from ..exceptions import AlreadyReported, CannotReportOwn, PhoneHidden
from ..models import Favorite, Listing, Report
from ..permissions import seller_side_q
from ..selectors import listing_get_for_viewer, listing_is_seller_side

logger = logging.getLogger(__name__)

# An anti-scraping control, not a comfort limit: every call counts, found or not.
PHONE_REVEALS_PER_HOUR = 30


# --- Favorites --------------------------------------------------------------------------------


def favorite_add(*, user: User, listing: Listing) -> bool:
    """Favorite a listing; True if this call created the favorite.

    Idempotent, also under concurrency: the unique (user, listing) constraint decides which of
    two simultaneous calls creates the row, whatever an unfavorite does meanwhile
    (`insert_unless_present`), and only that one adds to `favorites_count`, in the same
    transaction — so the count is exactly the number of favorites.
    """
    with transaction.atomic():
        created = insert_unless_present(Favorite(user=user, listing=listing))
        if created:
            Listing.objects.filter(pk=listing.pk).update(favorites_count=F("favorites_count") + 1)
    return created


def favorite_remove(*, user: User, listing_id: Any) -> bool:
    """Unfavorite; True if a favorite was deleted. Idempotent like `favorite_add`.

    Of two simultaneous deletes PostgreSQL lets one delete the row; the other finds nothing
    and changes nothing.
    """
    with transaction.atomic():
        deleted, _ = Favorite.objects.filter(user=user, listing_id=listing_id).delete()
        if deleted:
            Listing.objects.filter(pk=listing_id, favorites_count__gt=0).update(
                favorites_count=F("favorites_count") - 1
            )
    return bool(deleted)


# --- Phone ------------------------------------------------------------------------------------


def listing_reveal_phone(*, user: User, listing_id: Any) -> str:
    """The phone a buyer calls: the business's for a business listing (the author's when the
    business has none), else the author's. Counted for the seller's statistics, except when the
    seller side looks at its own.

    Raises RateLimited past 30 calls an hour (every call counts, before anything is looked up,
    so probing ids is capped too), Http404 for a listing the caller may not see, PhoneHidden
    when the seller chose chat only.
    """
    hit(Limit(f"phone-reveal:{user.pk}", PHONE_REVEALS_PER_HOUR, 3600))
    listing = listing_get_for_viewer(user=user, listing_id=listing_id)
    phone = (listing.business.phone if listing.business is not None else "") or (
        listing.author.phone
    )
    # A deleted author's phone is a tombstone ("~..."), no number at all.
    if listing.hide_phone or not phone.startswith("+"):
        raise PhoneHidden
    if not listing_is_seller_side(user=user, listing=listing):
        Listing.objects.filter(pk=listing.pk).update(
            phone_reveals_count=F("phone_reveals_count") + 1
        )
    return phone


# --- Reports ----------------------------------------------------------------------------------


def report_create(*, reporter: User, listing: Listing, reason: str, comment: str = "") -> Report:
    """One report per user and listing, held by the unique constraint (also when two arrive
    at once: the second is AlreadyReported). The seller side cannot report its own listing."""
    if listing_is_seller_side(user=reporter, listing=listing):
        raise CannotReportOwn
    try:
        with transaction.atomic():
            report = Report.objects.create(
                listing=listing, reporter=reporter, reason=reason, comment=comment
            )
            audit_record(
                actor=reporter,
                action="listing.reported",
                target=listing,
                data={"report_id": report.pk, "reason": reason},
            )
    except IntegrityError:
        if Report.objects.filter(listing=listing, reporter=reporter).exists():
            raise AlreadyReported from None
        raise
    return report


# --- Views ------------------------------------------------------------------------------------


def _seconds_until_midnight(now: datetime) -> int:
    local = timezone.localtime(now)
    midnight = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=local.tzinfo)
    return max(1, int((midnight - local).total_seconds()))


def listing_count_view(*, listing_id: Any, viewer_key: str, user_id: Any = None) -> bool:
    """Count a view of a listing once per viewer and day (the product's day, Asia/Bishkek).

    `viewer_key` names the viewer — `user:<id>`, or `ip:<address>` for an anonymous caller
    (so people behind one carrier NAT count as one); `user_id`, for a logged-in viewer, keeps
    the seller side's own views out. Returns True if the view was counted.

    How, and why this way: a Redis `SET NX` (`cache.add`) with a key that expires at midnight
    decides whether this viewer has been counted today; only the first view of the day then
    runs one `UPDATE ... SET views_count = views_count + 1` on the listing's row. That is two
    round trips of well under a millisecond, in the request — simpler and sturdier than a Celery
    task per view (a broker message per view, and counts that wait for a worker) or an INCR
    buffer flushed by a periodic task (a schedule, and views lost between flushes when Redis
    restarts). If one viral listing ever makes its row hot, the buffer is the next step.

    A cache failure must not break the listing's answer: it is logged and the view is not
    counted (fail open, never double count). The database already answered the request, so
    its errors are not hidden.
    """
    now = timezone.now()
    key = f"viewed:{listing_id}:{viewer_key}:{timezone.localdate(now).isoformat()}"
    try:
        first_today = cache.add(key, 1, timeout=_seconds_until_midnight(now))
    except Exception:
        logger.warning("View dedup cache unavailable; view not counted", exc_info=True)
        return False
    if not first_today:
        return False
    listings = Listing.objects.filter(pk=listing_id)
    if user_id is not None:
        listings = listings.exclude(seller_side_q(user_id))
    return bool(listings.update(views_count=F("views_count") + 1))
