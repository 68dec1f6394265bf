"""What business contributes to the staff commands: businesses by subscription status
(`marketplace_stats`) and a user's memberships, invitations and subscription orders
(`export_user_data`)."""

from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from .models import Business, Invitation, Membership, SubscriptionOrder, SubscriptionStatus


def business_figures(now: datetime) -> dict[str, Any]:
    counts = dict(
        Business.objects.order_by()
        .values_list("subscription_status")
        .annotate(n=Count("pk"))
        .values_list("subscription_status", "n")
    )
    return {
        "by_subscription_status": {
            status: counts.get(status, 0) for status in SubscriptionStatus.values
        }
    }


def business_personal_data(user: Any) -> dict[str, Any]:
    invitation_fields = (
        "id",
        "business_id",
        "business__name",
        "phone",
        "role",
        "status",
        "created_at",
        "expires_at",
        "decided_at",
    )
    return {
        "memberships": list(
            Membership.objects.filter(user=user)
            .order_by("joined_at")
            .values("business_id", "business__name", "role", "joined_at")
        ),
        # To their phone (sent before or after they had an account), or answered by them.
        "invitations_received": list(
            Invitation.objects.filter(Q(phone=user.phone) | Q(decided_by=user))
            .order_by("created_at")
            .values(*invitation_fields)
        ),
        "invitations_sent": list(
            Invitation.objects.filter(invited_by=user)
            .order_by("created_at")
            .values(*invitation_fields)
        ),
        "subscription_orders": list(
            SubscriptionOrder.objects.filter(buyer=user)
            .order_by("created_at")
            .values(
                "id",
                "business_id",
                "plan_id",
                "months",
                "status",
                "payment_id",
                "period_start",
                "period_end",
                "created_at",
            )
        ),
    }
