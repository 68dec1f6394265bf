"""Payments: starting one, applying a provider's event exactly once, refunds and expiry.

Locks are taken in one order everywhere: the payment, then the listing, then the promotion
(purpose handlers take the last two), so no two payment paths can deadlock.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import Truncator

from accounts.models import User
from accounts.services import audit_record
from core.offers import Offer

from ..exceptions import AmountMismatch, PaymentNotFound, PaymentsUnavailable
from ..locks import lock_payment, payments_for_update
from ..metrics import refunds, revenue
from ..models import Payment, PaymentEvent, PaymentStatus
from ..providers import UnknownProvider, default_provider
from ..providers.base import PaymentProvider, ProviderError, WebhookEvent
from ..purposes import get_purpose

logger = logging.getLogger(__name__)

# An unpaid payment expires after this long (and what it paid for is canceled).
PAYMENT_TTL = timedelta(minutes=30)

# Target status → the statuses it may be reached from. Money that arrives after the payment
# failed or expired is honoured; a `failed` after `succeeded`, or anything after a refund,
# changes nothing.
MOVES: dict[str, tuple[str, ...]] = {
    PaymentStatus.SUCCEEDED: (PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.EXPIRED),
    PaymentStatus.FAILED: (PaymentStatus.PENDING,),
    PaymentStatus.EXPIRED: (PaymentStatus.PENDING,),
    PaymentStatus.REFUNDED: (PaymentStatus.SUCCEEDED,),
}
EVENT_TARGETS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "failed": PaymentStatus.FAILED,
    "refunded": PaymentStatus.REFUNDED,
}


def can_move(current: str, target: str) -> bool:
    return current in MOVES[target]


def _move(
    payment: Payment, target: str, *, actor: User | None, data: dict[str, Any] | None = None
) -> None:
    """Move a payment whose row the caller holds locked; audited; its purpose follows."""
    previous = payment.status
    now = timezone.now()
    payment.status = target
    if target == PaymentStatus.SUCCEEDED:
        payment.paid_at = now
    if target == PaymentStatus.REFUNDED:
        payment.refunded_at = now
    payment.save(update_fields=("status", "paid_at", "refunded_at", "updated_at"))
    audit_record(
        actor=actor,
        action=f"payment.{target}",
        target=payment,
        data={"from": previous, "to": target, **(data or {})},
    )
    handler = get_purpose(payment.purpose).handler
    amount, currency = float(payment.amount), payment.currency
    if target == PaymentStatus.SUCCEEDED:
        handler.succeeded(payment, actor=actor)
        transaction.on_commit(lambda: revenue.labels(currency=currency).inc(amount))
    elif target == PaymentStatus.REFUNDED:
        handler.refunded(payment, actor=actor)
        transaction.on_commit(lambda: refunds.labels(currency=currency).inc(amount))
    else:
        handler.failed(payment, actor=actor, expired=target == PaymentStatus.EXPIRED)


def payment_create(
    *, payer: User, purpose: str, amount: Decimal, currency: str, provider: PaymentProvider
) -> Payment:
    """A pending payment for `purpose`. Call it inside the transaction that creates what it
    pays for, then `payment_start_checkout` once that has committed."""
    get_purpose(purpose)  # an unregistered purpose could never be applied
    payment = Payment.objects.create(
        payer=payer,
        purpose=purpose,
        amount=amount,
        currency=currency,
        provider=provider.code,
        expires_at=timezone.now() + PAYMENT_TTL,
    )
    audit_record(
        actor=payer,
        action="payment.created",
        target=payment,
        data={"purpose": purpose, "amount": str(amount), "currency": currency},
    )
    return payment


def payment_purchase(
    *,
    payer: User,
    purpose: str,
    offer: Offer,
    description: str,
    bind: Callable[[Payment], object],
) -> Payment:
    """Sell `offer` (a plan): a pending payment for `purpose`, created in one transaction with
    what it pays for (`bind(payment)` creates that), then registered with the default provider
    after the commit. No provider enabled: PaymentsUnavailable (503)."""
    try:
        provider = default_provider()
    except UnknownProvider:
        raise PaymentsUnavailable from None
    with transaction.atomic():
        payment = payment_create(
            payer=payer,
            purpose=purpose,
            amount=offer.price,
            currency=offer.currency,
            provider=provider,
        )
        bind(payment)
    return payment_start_checkout(
        payment=payment, provider=provider, description=Truncator(description).chars(120)
    )


def payment_start_checkout(
    *, payment: Payment, provider: PaymentProvider, description: str
) -> Payment:
    """Register the payment with its provider, an outside call: run it outside a transaction.

    When the provider refuses or cannot be reached, the payment fails (its purpose with it)
    and PaymentsUnavailable (503) is raised.
    """
    try:
        checkout = provider.create_checkout(payment=payment, description=description)
    except ProviderError:
        logger.warning("Provider %s could not start payment %s", provider.code, payment.pk)
        with transaction.atomic():
            locked = lock_payment(payment.pk)
            if can_move(locked.status, PaymentStatus.FAILED):
                _move(locked, PaymentStatus.FAILED, actor=None, data={"reason": "checkout"})
        raise PaymentsUnavailable from None
    # Only these columns: a callback may already have changed the status.
    Payment.objects.filter(pk=payment.pk).update(
        checkout_url=checkout.checkout_url, provider_reference=checkout.provider_reference
    )
    payment.checkout_url = checkout.checkout_url
    payment.provider_reference = checkout.provider_reference
    return payment


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    payment_id: Any
    duplicate: bool  # seen before: nothing was done
    applied: bool  # the payment's status changed


def webhook_apply(*, provider: str, event: WebhookEvent) -> WebhookResult:
    """Apply a provider's event, already verified by its signature, exactly once.

    In the contract's order: a repeated `event_id` changes nothing; an unknown payment is
    PaymentNotFound (404); an amount or currency that differs from the payment's is
    AmountMismatch (400), recording nothing. The event is recorded and applied in one
    transaction with the payment row locked, and the unique (provider, event_id) pair turns a
    concurrent copy into a repeat.
    """
    repeat = WebhookResult(event.event_id, event.payment_id, duplicate=True, applied=False)
    if PaymentEvent.objects.filter(provider=provider, event_id=event.event_id).exists():
        return repeat
    with transaction.atomic():
        payment = payments_for_update().filter(pk=event.payment_id, provider=provider).first()
        if payment is None:
            raise PaymentNotFound
        if event.amount != payment.amount or event.currency.upper() != payment.currency:
            logger.warning(
                "Event %s of %s: %s %s for payment %s of %s %s",
                event.event_id,
                provider,
                event.amount,
                event.currency,
                payment.pk,
                payment.amount,
                payment.currency,
            )
            raise AmountMismatch
        target = EVENT_TARGETS[event.status]
        applied = can_move(payment.status, target)
        try:
            with transaction.atomic():
                PaymentEvent.objects.create(
                    provider=provider,
                    event_id=event.event_id,
                    payment=payment,
                    status=event.status,
                    amount=event.amount,
                    currency=payment.currency,
                    applied=applied,
                )
        except IntegrityError:
            return repeat  # a copy committed while this one waited for the lock
        if event.provider_reference and not payment.provider_reference:
            payment.provider_reference = event.provider_reference
            payment.save(update_fields=("provider_reference", "updated_at"))
        if applied:
            _move(payment, target, actor=None, data={"provider": provider, "event": event.event_id})
        else:
            logger.info(
                "Event %s (%s) left payment %s %s",
                event.event_id,
                event.status,
                payment.pk,
                payment.status,
            )
    return WebhookResult(event.event_id, payment.pk, duplicate=False, applied=applied)


def payment_mark_refunded(*, payment: Payment, actor: User) -> bool:
    """Staff record a refund made at the provider. False if the payment is not `succeeded`."""
    with transaction.atomic():
        locked = lock_payment(payment.pk)
        if not can_move(locked.status, PaymentStatus.REFUNDED):
            return False
        _move(locked, PaymentStatus.REFUNDED, actor=actor, data={"by": "staff"})
    return True


def payments_expire_unpaid(*, now: datetime | None = None) -> int:
    """Pending payments older than PAYMENT_TTL expire; what they paid for is canceled.

    Safe to run twice at once: each payment is claimed under its row lock, and one that
    another run (or a callback) holds is skipped rather than waited for.
    """
    now = now or timezone.now()
    due = Payment.objects.filter(status=PaymentStatus.PENDING, expires_at__lte=now)
    expired = 0
    for payment_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            payment = (
                payments_for_update(skip_locked=True)
                .filter(pk=payment_id, status=PaymentStatus.PENDING, expires_at__lte=now)
                .first()
            )
            if payment is None:
                continue
            _move(payment, PaymentStatus.EXPIRED, actor=None)
            expired += 1
    return expired
