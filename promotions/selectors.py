"""Every read of plans, promotions and payments, scoped to what the caller may see."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from core.ids import uuid_or_404

from .models import Payment, Plan, Promotion


def plans_on_sale() -> QuerySet[Plan]:
    return Plan.objects.filter(is_active=True).order_by("position", "days")


def promotions_of_user(*, user: Any) -> QuerySet[Promotion]:
    """The promotions the user bought, newest first (one query a page: no joins needed)."""
    return Promotion.objects.filter(user=user).order_by("-created_at")


def payment_get_for_payer(*, user: Any, payment_id: Any) -> Payment:
    """The payment if the caller paid it; 404 both for a missing one and someone else's."""
    payment = Payment.objects.filter(pk=uuid_or_404(payment_id), payer=user).first()
    if payment is None:
        raise Http404
    return payment
