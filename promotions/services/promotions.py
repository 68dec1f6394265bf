"""Promotions: buying one, activating it when paid, refunds, expiry, and the listing's boost.

`Listing.boosted_until` is the latest end of the listing's active promotions and
`boost_started_at` the start of that continuous run, kept here by `listing_boost_recompute`
whenever a promotion starts, ends or is refunded.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.notifications import notify_user
from accounts.services import audit_record
from listings.locks import listing_lock_for_boost, listing_try_lock_for_boost
from listings.models import Listing, Status
from listings.services.boosts import listing_set_boost

from ..exceptions import ListingNotActive
from ..locks import promotions_for_update
from ..models import Payment, Plan, Promotion, PromotionStatus
from .payments import payment_purchase

PURPOSE = "promotion"

ACTIVATED_TITLE = _("Your listing is boosted")
ACTIVATED_BODY = _("“%(title)s” is shown first in the feed until %(until)s.")
FAILED_TITLE = _("Payment failed")
FAILED_BODY = _("The boost of “%(title)s” was not paid. You can try again.")
REFUNDED_TITLE = _("Boost refunded")
REFUNDED_BODY = _("The payment for the boost of “%(title)s” was refunded.")
EXPIRED_TITLE = _("Your boost has ended")
EXPIRED_BODY = _("“%(title)s” is no longer shown first. Boost it again to stay on top.")


def _notify(promotion: Promotion, listing: Listing, title: Any, body: Any, **params: Any) -> None:
    notify_user(
        user=promotion.user,
        title=title,
        body=body,
        data={
            "promotion_id": str(promotion.pk),
            "listing_id": str(listing.pk),
            "status": promotion.status,
        },
        params={"title": listing.title, **params},
    )


def _set_status(promotion: Promotion, status: str, *, actor: Any, **data: Any) -> None:
    previous = promotion.status
    promotion.status = status
    promotion.save(update_fields=("status", "starts_at", "ends_at", "updated_at"))
    audit_record(
        actor=actor,
        action=f"promotion.{status}",
        target=promotion,
        data={"from": previous, "to": status, **data},
    )


def promotion_create(*, user: User, listing: Listing, plan: Plan) -> Promotion:
    """Start buying a boost of `listing` (fetched through the seller side's scope, so others
    never get here): a promotion waiting for its payment, registered with the provider.

    Only an active listing: ListingNotActive (409).
    """
    if listing.status != Status.ACTIVE:
        raise ListingNotActive
    promotions: list[Promotion] = []

    def bind(payment: Payment) -> None:
        promotion = Promotion.objects.create(
            listing=listing, user=user, plan=plan, days=plan.days, payment=payment
        )
        audit_record(
            actor=user,
            action="promotion.created",
            target=promotion,
            data={"plan": plan.code, "listing": str(listing.pk), "payment": str(payment.pk)},
        )
        promotions.append(promotion)

    payment_purchase(
        payer=user,
        purpose=PURPOSE,
        offer=plan,
        description=f"{plan.localized_name()}: {listing.title}",
        bind=bind,
    )
    return promotions[0]


def _active(listing_id: Any, now: datetime, rows: Any = Promotion.objects) -> Any:
    return rows.filter(listing_id=listing_id, status=PromotionStatus.ACTIVE, ends_at__gt=now)


def listing_boost_recompute(*, listing: Listing, now: datetime) -> None:
    """Set the listing's boost from its active promotions; the caller holds its row locked.

    Active promotions follow on one another (each starts where the last ends), so they form
    one run. The run keeps the start of a boost that was already running into it: a feed
    scroll pinned earlier then still sees the listing as it did. With no paid days left, the
    boost ends now at the latest and what lies in the past stays as it was.
    """
    periods = list(
        _active(listing.pk, now).order_by("starts_at").values_list("starts_at", "ends_at")
    )
    old_start, old_end = listing.boost_started_at, listing.boosted_until
    if not periods:
        start, end = old_start, (min(old_end, now) if old_end is not None else None)
    else:
        start, end = periods[0][0], max(ends for _starts, ends in periods)
        if (
            old_start is not None
            and old_end is not None
            and old_start <= start <= min(old_end, now)
        ):
            start = old_start
    if (start, end) != (old_start, old_end):
        listing_set_boost(listing=listing, started_at=start, until=end)


def _close_gaps(listing_id: Any, now: datetime, *, actor: Any) -> None:
    """After a refund, promotions waiting their turn move up so the boost stays continuous
    (each keeps its length)."""
    cursor = now
    for promotion in _active(listing_id, now, promotions_for_update()).order_by("starts_at"):
        if promotion.starts_at <= now:
            cursor = max(cursor, promotion.ends_at)
            continue
        if promotion.starts_at != cursor:
            length = promotion.ends_at - promotion.starts_at
            previous = promotion.starts_at
            promotion.starts_at, promotion.ends_at = cursor, cursor + length
            promotion.save(update_fields=("starts_at", "ends_at", "updated_at"))
            audit_record(
                actor=actor,
                action="promotion.rescheduled",
                target=promotion,
                data={"from": previous.isoformat(), "to": cursor.isoformat()},
            )
        cursor = promotion.ends_at


class PromotionPurpose:
    """What a payment's state means for its promotion (the `promotion` payment purpose).

    Called with the payment row locked; takes the listing's lock, then the promotion's.
    """

    def _locked(self, payment: Payment) -> tuple[Listing, Promotion]:
        listing_id = Promotion.objects.filter(payment=payment).values_list("listing_id", flat=True)
        listing = listing_lock_for_boost(listing_id=listing_id.get())
        promotion = promotions_for_update().get(payment=payment)
        return listing, promotion

    def succeeded(self, payment: Payment, *, actor: Any) -> None:
        listing, promotion = self._locked(payment)
        if promotion.status not in (
            PromotionStatus.PENDING_PAYMENT,
            PromotionStatus.FAILED,
            PromotionStatus.CANCELED,
        ):
            return
        now = timezone.now()
        # From max(now, the listing's current boost end).
        boost_end = _active(listing.pk, now).aggregate(end=Max("ends_at"))["end"]
        promotion.starts_at = max(now, boost_end or now)
        promotion.ends_at = promotion.starts_at + timedelta(days=promotion.days)
        _set_status(
            promotion,
            PromotionStatus.ACTIVE,
            actor=actor,
            starts_at=promotion.starts_at.isoformat(),
            ends_at=promotion.ends_at.isoformat(),
        )
        listing_boost_recompute(listing=listing, now=now)
        until = timezone.localtime(promotion.ends_at).strftime("%d.%m.%Y %H:%M")
        _notify(promotion, listing, ACTIVATED_TITLE, ACTIVATED_BODY, until=until)

    def failed(self, payment: Payment, *, actor: Any, expired: bool) -> None:
        # Only the promotion's row: the listing is read, not locked (listing before promotion).
        promotion = promotions_for_update().select_related("listing").get(payment=payment)
        if promotion.status != PromotionStatus.PENDING_PAYMENT:
            return
        # Nobody paid in time: the seller walked away, so canceled; a refusal is a failure.
        status = PromotionStatus.CANCELED if expired else PromotionStatus.FAILED
        _set_status(promotion, status, actor=actor)
        if not expired:
            _notify(promotion, promotion.listing, FAILED_TITLE, FAILED_BODY)

    def refunded(self, payment: Payment, *, actor: Any) -> None:
        listing, promotion = self._locked(payment)
        if promotion.status not in (PromotionStatus.ACTIVE, PromotionStatus.EXPIRED):
            return
        now = timezone.now()
        was_running = promotion.status == PromotionStatus.ACTIVE
        _set_status(promotion, PromotionStatus.REFUNDED, actor=actor)
        if was_running:
            _close_gaps(listing.pk, now, actor=actor)
            listing_boost_recompute(listing=listing, now=now)
        _notify(promotion, listing, REFUNDED_TITLE, REFUNDED_BODY)


def promotions_due(*, now: datetime | None = None) -> list[Promotion]:
    """Active promotions whose paid days have run out."""
    now = now or timezone.now()
    return list(
        Promotion.objects.filter(status=PromotionStatus.ACTIVE, ends_at__lte=now)
        .select_related("listing")
        .order_by("ends_at")
    )


def promotions_expire(*, now: datetime | None = None) -> list[Promotion]:
    """Switch promotions whose paid days have run out to `expired` and recompute their
    listings' boosts. Returns those it expired.

    Idempotent, and safe to run twice at once: each listing is claimed under its row lock
    (one held by another run is skipped, not waited for), and only promotions still active
    under that lock are expired.
    """
    now = now or timezone.now()
    listing_ids = set(
        Promotion.objects.filter(status=PromotionStatus.ACTIVE, ends_at__lte=now).values_list(
            "listing_id", flat=True
        )
    )
    expired: list[Promotion] = []
    for listing_id in listing_ids:
        with transaction.atomic():
            listing = listing_try_lock_for_boost(listing_id=listing_id)
            if listing is None:
                continue
            due = promotions_for_update().filter(
                listing=listing, status=PromotionStatus.ACTIVE, ends_at__lte=now
            )
            for promotion in due:
                _set_status(promotion, PromotionStatus.EXPIRED, actor=None)
                _notify(promotion, listing, EXPIRED_TITLE, EXPIRED_BODY)
                expired.append(promotion)
            listing_boost_recompute(listing=listing, now=now)
    return expired
