"""Moderation decisions and the AI pre-check: every change of a listing's review state."""

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.notifications import notify_user
from accounts.services import audit_record
from listings.locks import listings_for_update, lock_listing
from listings.models import Listing, MediaKind, Report, ReportStatus, Status
from listings.selectors import details_snapshot
from listings.services.listings import listing_approve, listing_reject

from .exceptions import AlreadyDecided
from .metrics import decisions
from .models import EventKind, ModerationEvent, RejectReason, Verdict
from .selectors import similar_median_price_kgs

logger = logging.getLogger(__name__)

APPROVED_TITLE = _("Your listing is live")
APPROVED_BODY = _("“%(title)s” passed moderation and is now visible to buyers.")
APPROVED_PAUSED_TITLE = _("Your listing is approved")
APPROVED_PAUSED_BODY = _(
    "“%(title)s” passed moderation. It goes live once the business's subscription is paid."
)
REJECTED_TITLE = _("Your listing was not approved")
REJECTED_BODY = _("“%(title)s” was rejected: %(reason)s. Fix it and submit it again.")


def _notify_seller(listing: Listing, title: Any, body: Any, **params: Any) -> None:
    notify_user(
        user=listing.author,
        title=title,
        body=body,
        data={"listing_id": str(listing.pk), "status": listing.status},
        params={"title": listing.title, **params},
    )


def _open_reports(listing: Listing) -> Any:
    return Report.objects.filter(listing=listing, status=ReportStatus.OPEN)


def moderation_approve(
    *,
    listing: Listing,
    moderator: User | None,
    automatic: bool = False,
    checked_since: datetime | None = None,
) -> Listing:
    """Publish a listing waiting for review. Of two moderators deciding at once, the second
    finds it decided (409 `already_decided`): the listing row is locked while deciding.

    `checked_since`: the `review_requested_at` a pre-check judged; when the listing has changed
    since (an edit in review), it is not what was judged and stays in review (AlreadyDecided).
    """
    with transaction.atomic():
        listing = lock_listing(listing)
        if listing.status != Status.PENDING_REVIEW:
            raise AlreadyDecided
        if checked_since is not None and listing.review_requested_at != checked_since:
            raise AlreadyDecided
        listing = listing_approve(listing=listing, actor=moderator)
        ModerationEvent.objects.create(
            listing=listing,
            kind=EventKind.APPROVED,
            actor=moderator,
            data={"automatic": automatic},
        )
        audit_record(actor=moderator, action="moderation.approved", target=listing)
        outcome = "auto_approved" if automatic else "approved"
        transaction.on_commit(lambda: decisions.labels(outcome=outcome).inc())
        if listing.status == Status.PAUSED:
            _notify_seller(listing, APPROVED_PAUSED_TITLE, APPROVED_PAUSED_BODY)
        else:
            _notify_seller(listing, APPROVED_TITLE, APPROVED_BODY)
    return listing


def moderation_reject(
    *, listing: Listing, moderator: User, reason_code: str, note: str = ""
) -> Listing:
    """Reject a listing waiting for review, or an active one with open reports (it leaves the
    feed); its open reports are closed as upheld. The seller is told why."""
    with transaction.atomic():
        listing = lock_listing(listing)
        reported = listing.status == Status.ACTIVE and _open_reports(listing).exists()
        if listing.status != Status.PENDING_REVIEW and not reported:
            raise AlreadyDecided
        listing = listing_reject(listing=listing, actor=moderator, code=reason_code, note=note)
        _open_reports(listing).update(status=ReportStatus.UPHELD, closed_at=timezone.now())
        ModerationEvent.objects.create(
            listing=listing,
            kind=EventKind.REJECTED,
            actor=moderator,
            reason_code=reason_code,
            note=note,
        )
        audit_record(
            actor=moderator,
            action="moderation.rejected",
            target=listing,
            data={"reason_code": reason_code},
        )
        transaction.on_commit(lambda: decisions.labels(outcome="rejected").inc())
        reason = RejectReason(reason_code).label
        _notify_seller(listing, REJECTED_TITLE, REJECTED_BODY, reason=reason)
    return listing


def moderation_dismiss_reports(*, listing: Listing, moderator: User, note: str = "") -> None:
    """Close a listing's open reports as unfounded."""
    with transaction.atomic():
        listing = lock_listing(listing)
        closed = _open_reports(listing).update(
            status=ReportStatus.DISMISSED, closed_at=timezone.now()
        )
        if not closed:
            raise AlreadyDecided
        ModerationEvent.objects.create(
            listing=listing,
            kind=EventKind.REPORTS_DISMISSED,
            actor=moderator,
            note=note,
            data={"reports": closed},
        )
        audit_record(
            actor=moderator,
            action="moderation.reports_dismissed",
            target=listing,
            data={"reports": closed},
        )
        transaction.on_commit(lambda: decisions.labels(outcome="reports_dismissed").inc())


def _snapshot(listing: Listing) -> Any:
    from .ai import Image, ListingSnapshot

    author = listing.author
    now = timezone.now()
    sellers = Listing.objects.filter(author=author).exclude(pk=listing.pk)
    duplicates = (
        Listing.objects.filter(
            title__iexact=listing.title,
            description__iexact=listing.description,
            status__in=(Status.ACTIVE, Status.PENDING_REVIEW),
        )
        .exclude(pk=listing.pk)
        .count()
    )
    images = []
    for media in listing.media.filter(kind__in=(MediaKind.IMAGE, MediaKind.VIDEO)).order_by(
        "position"
    )[:4]:
        picture = media.poster if media.kind == MediaKind.VIDEO else (media.thumbnail or media.file)
        if not picture:
            continue
        try:
            with picture.open("rb") as handle:
                images.append(Image(media_type="image/jpeg", data=handle.read()))
        except OSError:
            logger.warning("Media %s unreadable for the pre-check", media.pk)
    details = details_snapshot(listing)
    return ListingSnapshot(
        category=listing.category,
        title=listing.title,
        description=listing.description,
        price=listing.price,
        currency=listing.currency,
        price_kgs=listing.price_kgs,
        city=listing.city,
        region=listing.region,
        details=details,
        seller_account_age_days=(now - author.created_at).days,
        seller_active_listings=sellers.filter(status=Status.ACTIVE).count(),
        seller_rejected_listings=sellers.filter(status=Status.REJECTED).count(),
        seller_listings_last_24h=sellers.filter(created_at__gte=now - timedelta(days=1)).count(),
        similar_median_price_kgs=similar_median_price_kgs(listing),
        duplicate_listings=duplicates,
        images=tuple(images),
    )


def moderation_precheck(*, listing_id: Any) -> ModerationEvent | None:
    """The AI (or rules) pre-check of a listing in review, stored as an event.

    Safe to run twice: a listing no longer in review, or already checked since it entered
    review, is left alone. With MODERATION_AUTO_APPROVE_BELOW set, an `approve` verdict under
    that risk publishes the listing; otherwise only a human decides.
    """
    from .ai import precheck

    listing = (
        Listing.objects.select_related("author", "car", "horse", "real_estate")
        .filter(pk=listing_id, status=Status.PENDING_REVIEW)
        .first()
    )
    if listing is None:
        return None
    since = listing.review_requested_at or listing.updated_at
    checked = ModerationEvent.objects.filter(
        listing=listing, kind=EventKind.AI_PRECHECK, created_at__gte=since
    )
    if checked.exists():
        return None
    verdict = precheck(_snapshot(listing))
    with transaction.atomic():
        # Recorded only for what it judged: a listing edited meanwhile has a newer pre-check
        # on its way (the edit sent it), whose verdict the moderators must see instead.
        unchanged = listings_for_update().filter(
            pk=listing.pk,
            status=Status.PENDING_REVIEW,
            review_requested_at=listing.review_requested_at,
        )
        if not unchanged.exists():
            return None
        event = ModerationEvent.objects.create(
            listing=listing,
            kind=EventKind.AI_PRECHECK,
            verdict=verdict.verdict,
            risk_score=verdict.risk_score,
            reasons=verdict.reasons,
            reason_codes=verdict.reason_codes,
            source=verdict.source,
        )
    threshold = settings.MODERATION_AUTO_APPROVE_BELOW
    safe = threshold is not None and verdict.verdict == Verdict.APPROVE
    if safe and verdict.risk_score < threshold:
        # A moderator was quicker, or the seller edited it since (checked again then).
        with contextlib.suppress(AlreadyDecided):
            moderation_approve(
                listing=listing,
                moderator=None,
                automatic=True,
                checked_since=listing.review_requested_at,
            )
    return event


def listings_missing_precheck(*, older_than: timedelta) -> list[Any]:
    """Listings in review for a while with no pre-check since they entered it (the enqueue
    was lost while the broker was down): the sweep sends them again."""
    cutoff = timezone.now() - older_than
    return list(
        Listing.objects.filter(status=Status.PENDING_REVIEW, review_requested_at__lt=cutoff)
        .exclude(
            Q(
                moderation_events__kind=EventKind.AI_PRECHECK,
                moderation_events__created_at__gte=F("review_requested_at"),
            )
        )
        .values_list("pk", flat=True)
    )
