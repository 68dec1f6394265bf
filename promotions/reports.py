"""What promotions contributes to the staff commands: boosts running and payments by status
(`marketplace_stats`), and a user's payments and promotions (`export_user_data`)."""

from datetime import datetime
from typing import Any

from django.db.models import Count

from .models import Payment, PaymentStatus, Promotion, PromotionStatus


def promotion_figures(now: datetime) -> dict[str, Any]:
    payments = dict(
        Payment.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "active_promotions": Promotion.objects.filter(
            status=PromotionStatus.ACTIVE, starts_at__lte=now, ends_at__gt=now
        ).count(),
        "payments_by_status": {status: payments.get(status, 0) for status in PaymentStatus.values},
    }


def promotion_personal_data(user: Any) -> dict[str, Any]:
    return {
        "payments": list(
            Payment.objects.filter(payer=user)
            .order_by("created_at")
            .values(
                "id",
                "purpose",
                "amount",
                "currency",
                "provider",
                "status",
                "created_at",
                "paid_at",
                "refunded_at",
            )
        ),
        "promotions": list(
            Promotion.objects.filter(user=user)
            .order_by("created_at")
            .values(
                "id",
                "listing_id",
                "plan_id",
                "days",
                "payment_id",
                "status",
                "starts_at",
                "ends_at",
            )
        ),
    }
