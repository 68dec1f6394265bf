"""The subscription's life: a trial, paid periods that extend from the current end, lapsing
to `past_due` and after the grace period to `canceled` (the listings beyond the free limit
are paused), and a payment that brings it all back.

Payments belong to `promotions`, above this app: its `subscription` payment purpose calls the
`subscription_order_*` services below with the payment's row locked.
"""

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.locks import lock_users
from accounts.models import User
from accounts.notifications import notify_user
from accounts.services import audit_record

from .. import hooks
from ..locks import businesses_for_update, lock_subscription_order, subscription_orders_for_update
from ..models import (
    Business,
    OrderStatus,
    SubscriptionOrder,
    SubscriptionPlan,
    SubscriptionStatus,
)
from .common import notify_members

TRIAL_DAYS = 14

PAID_TITLE = _("Subscription active")
PAID_BODY = _("The subscription of %(business)s is active until %(until)s.")
FAILED_TITLE = _("Payment failed")
FAILED_BODY = _("The subscription of %(business)s was not paid. You can try again.")
REFUNDED_TITLE = _("Subscription refunded")
REFUNDED_BODY = _("The payment for the subscription of %(business)s was refunded.")
PAST_DUE_TITLE = _("Subscription lapsed")
PAST_DUE_BODY = _(
    "Pay for %(business)s by %(until)s, or its listings beyond the first 5 will be paused."
)
CANCELED_TITLE = _("Subscription canceled")
CANCELED_BODY = _(
    "The subscription of %(business)s was canceled. Paused listings: %(count)s. "
    "Pay to restore them."
)


def add_months(moment: datetime, months: int) -> datetime:
    """The same local day and time `months` later (the month's last day when it is short)."""
    local = timezone.localtime(moment)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    return local.replace(
        year=year, month=month, day=min(local.day, calendar.monthrange(year, month)[1])
    )


def _shown(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y")


def _set_status(business: Business, status: str, *, actor: Any, **data: Any) -> None:
    previous = business.subscription_status
    business.subscription_status = status
    business.save(
        update_fields=(
            "subscription_status",
            "subscription_plan",
            "current_period_end",
            "past_due_since",
            "updated_at",
        )
    )
    audit_record(
        actor=actor,
        action=f"business.subscription_{status}",
        target=business,
        data={"from": previous, "to": status, **data},
    )


def subscription_start(*, business: Business, owner: User) -> None:
    """Set a new (unsaved) business's subscription: the owner's one trial, or `past_due` when
    they have had it. The caller holds the owner's row locked."""
    now = timezone.now()
    if Business.objects.filter(trial_user=owner).exists():
        business.subscription_status = SubscriptionStatus.PAST_DUE
        business.past_due_since = now
    else:
        business.subscription_status = SubscriptionStatus.TRIAL
        business.trial_user = owner
        business.current_period_end = now + timedelta(days=TRIAL_DAYS)


def subscription_order_create(
    *, business: Business, plan: SubscriptionPlan, buyer: User, payment_id: Any
) -> SubscriptionOrder:
    """An order waiting for its payment; call it inside the transaction creating the payment."""
    order = SubscriptionOrder.objects.create(
        business=business, plan=plan, months=plan.months, buyer=buyer, payment_id=payment_id
    )
    audit_record(
        actor=buyer,
        action="business.subscription_ordered",
        target=order,
        data={"business": str(business.pk), "plan": plan.code, "payment": str(payment_id)},
    )
    return order


def _set_order_status(order: SubscriptionOrder, status: str, *, actor: Any) -> None:
    previous = order.status
    order.status = status
    order.save(update_fields=("status", "period_start", "period_end", "updated_at"))
    audit_record(
        actor=actor,
        action=f"business.subscription_order_{status}",
        target=order,
        data={"from": previous, "to": status},
    )


def subscription_order_paid(*, payment_id: Any, actor: Any) -> None:
    """The order's money arrived (also late, after it failed or expired: it is honoured).

    The subscription is `active` from the later of now and the current period's end (a
    renewal, or paying during the trial, loses no day), for the plan's months; listings
    paused by a cancellation return to active. Locks the business, then the order.
    """
    business, order = lock_subscription_order(payment_id)
    if order.status not in (OrderStatus.PENDING, OrderStatus.FAILED, OrderStatus.CANCELED):
        return
    now = timezone.now()
    start = max(now, business.current_period_end or now)
    order.period_start, order.period_end = start, add_months(start, order.months)
    _set_order_status(order, OrderStatus.PAID, actor=actor)
    business.subscription_plan = order.plan
    business.current_period_end = order.period_end
    business.past_due_since = None
    _set_status(
        business,
        SubscriptionStatus.ACTIVE,
        actor=actor,
        order=str(order.pk),
        until=order.period_end.isoformat(),
    )
    resumed = hooks.listings().resume_paused(business, actor=actor)
    if resumed:
        audit_record(
            actor=actor,
            action="business.listings_resumed",
            target=business,
            data={"count": resumed},
        )
    notify_members(
        business, PAID_TITLE, PAID_BODY, admins_only=True, until=_shown(order.period_end)
    )


def subscription_order_failed(*, payment_id: Any, actor: Any, expired: bool) -> None:
    """The provider refused the payment (the buyer is told), or nobody paid in time."""
    order = (
        subscription_orders_for_update()
        .select_related("business", "buyer")
        .get(payment_id=payment_id)
    )
    if order.status != OrderStatus.PENDING:
        return
    _set_order_status(order, OrderStatus.CANCELED if expired else OrderStatus.FAILED, actor=actor)
    if not expired:
        notify_user(
            user=order.buyer,
            title=FAILED_TITLE,
            body=FAILED_BODY,
            data={"business_id": str(order.business_id), "order_id": str(order.pk)},
            params={"business": order.business.name},
        )


def subscription_order_refunded(*, payment_id: Any, actor: Any) -> None:
    """The order's money went back: the subscription loses what was left of that order's
    period (a period already used up stays used). With nothing paid left, it is past due."""
    business, order = lock_subscription_order(payment_id)
    if order.status != OrderStatus.PAID:
        return
    now = timezone.now()
    # A paid order has its period (a check constraint); `or now` only satisfies the types.
    unused = (order.period_end or now) - max(order.period_start or now, now)
    _set_order_status(order, OrderStatus.REFUNDED, actor=actor)
    if unused > timedelta(0) and business.current_period_end is not None:
        business.current_period_end -= unused
        status = business.subscription_status
        if status == SubscriptionStatus.ACTIVE and business.current_period_end <= now:
            business.past_due_since = now
            status = SubscriptionStatus.PAST_DUE
        _set_status(business, status, actor=actor, order=str(order.pk), refunded=str(unused))
    notify_members(business, REFUNDED_TITLE, REFUNDED_BODY, admins_only=True)


@dataclass(frozen=True)
class Lapsed:
    past_due: int
    canceled: int


def _claim(business_id: Any, **conditions: Any) -> Business | None:
    """The business's row if it still meets `conditions`; None when another run (or a
    payment) holds it: it is skipped, not waited for."""
    return businesses_for_update(skip_locked=True).filter(pk=business_id, **conditions).first()


def subscriptions_lapse(*, now: datetime | None = None) -> Lapsed:
    """The periodic sweep: a trial or paid period that ran out turns `past_due`; a `past_due`
    older than the grace period (BUSINESS_GRACE_PERIOD_DAYS) turns `canceled`, pausing the
    business's active listings beyond the free limit, newest first.

    Idempotent and safe to run twice at once: each business is claimed under its row lock
    and checked again there.
    """
    now = now or timezone.now()
    running = {
        "subscription_status__in": (SubscriptionStatus.TRIAL, SubscriptionStatus.ACTIVE),
        "current_period_end__lte": now,
    }
    past_due = 0
    for business_id in list(Business.objects.filter(**running).values_list("pk", flat=True)):
        with transaction.atomic():
            business = _claim(business_id, **running)
            if business is None:
                continue
            business.past_due_since = now
            _set_status(business, SubscriptionStatus.PAST_DUE, actor=None)
            grace_end = now + timedelta(days=settings.BUSINESS_GRACE_PERIOD_DAYS)
            notify_members(
                business, PAST_DUE_TITLE, PAST_DUE_BODY, admins_only=True, until=_shown(grace_end)
            )
            past_due += 1
    overdue = {
        "subscription_status": SubscriptionStatus.PAST_DUE,
        "past_due_since__lte": now - timedelta(days=settings.BUSINESS_GRACE_PERIOD_DAYS),
    }
    canceled = 0
    overdue_businesses = Business.objects.filter(**overdue).values_list("pk", "created_by_id")
    for business_id, creator_id in list(overdue_businesses):
        with transaction.atomic():
            # Its creator first: what it keeps may depend on their personal quota (user before
            # business, as listing creation locks them).
            lock_users([creator_id])
            business = _claim(business_id, **overdue)
            if business is None:
                continue
            paused = hooks.listings().pause_beyond(
                business, keep=settings.PERSONAL_LISTING_LIMIT, actor=None
            )
            _set_status(business, SubscriptionStatus.CANCELED, actor=None, paused=paused)
            notify_members(business, CANCELED_TITLE, CANCELED_BODY, count=paused)
            canceled += 1
    return Lapsed(past_due=past_due, canceled=canceled)
