"""Row locks on payments and promotions; every `select_for_update` of this app is here.

The project takes rows in one order (docs/architecture.md, "Row locks"): a payment first (a
webhook applies its purpose under the payment's lock), then the purpose's rows — users and a
business for a subscription; the listing, then its promotions, for a boost.
"""

from typing import Any

from django.db.models import QuerySet

from .models import Payment, Promotion


def payments_for_update(*, skip_locked: bool = False) -> QuerySet[Payment]:
    return Payment.objects.select_for_update(skip_locked=skip_locked)


def lock_payment(payment_id: Any) -> Payment:
    return payments_for_update().get(pk=payment_id)


def promotions_for_update() -> QuerySet[Promotion]:
    """Promotion rows only (`of`), whatever the query joins; after the listing's."""
    return Promotion.objects.select_for_update(of=("self",))
