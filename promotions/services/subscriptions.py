"""Buying a business subscription through the project's one payment mechanism.

`business` owns the subscription and its orders but sits below `promotions`, so the payment
side lives here: the `subscription` payment purpose (registered in PromotionsConfig.ready())
hands each payment change to the business services, and a purchase creates the payment
exactly as buying a boost does.
"""

from typing import Any

from accounts.models import User
from business.models import Business, SubscriptionPlan
from business.services.subscriptions import (
    subscription_order_create,
    subscription_order_failed,
    subscription_order_paid,
    subscription_order_refunded,
)

from ..models import Payment
from .payments import payment_purchase

PURPOSE = "subscription"


class SubscriptionPurpose:
    """What a payment's state means for its subscription order (the `subscription` purpose).

    Called with the payment row locked; the business services take the business's lock, then
    the order's.
    """

    def succeeded(self, payment: Payment, *, actor: Any) -> None:
        subscription_order_paid(payment_id=payment.pk, actor=actor)

    def failed(self, payment: Payment, *, actor: Any, expired: bool) -> None:
        subscription_order_failed(payment_id=payment.pk, actor=actor, expired=expired)

    def refunded(self, payment: Payment, *, actor: Any) -> None:
        subscription_order_refunded(payment_id=payment.pk, actor=actor)


def subscription_purchase(*, business: Business, plan: SubscriptionPlan, buyer: User) -> Payment:
    """Start paying for `plan` (the caller is the business's admin): an order waiting for its
    payment, registered with the provider. Paid, the subscription is `active`."""
    return payment_purchase(
        payer=buyer,
        purpose=PURPOSE,
        offer=plan,
        description=f"{plan.localized_name()}: {business.name}",
        bind=lambda payment: subscription_order_create(
            business=business, plan=plan, buyer=buyer, payment_id=payment.pk
        ),
    )
