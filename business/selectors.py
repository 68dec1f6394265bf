"""Every read of businesses, their teams, invitations and plans."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import Invitation, InvitationStatus, MemberRole, Membership, SubscriptionPlan


def businesses_of_user(user: Any) -> list[dict[str, Any]]:
    """The businesses the user belongs to, with their role in each (one query)."""
    memberships = (
        Membership.objects.filter(user=user).select_related("business").order_by("joined_at")
    )
    return [{"id": m.business_id, "name": m.business.name, "role": m.role} for m in memberships]


def members_of(*, business: Any) -> QuerySet[Membership]:
    """The team, oldest member first (one query)."""
    return (
        Membership.objects.filter(business=business)
        .select_related("user")
        .order_by("joined_at", "id")
    )


def invitations_pending(*, business: Any) -> QuerySet[Invitation]:
    """The business's invitations still waiting for an answer (an expired one waits no more)."""
    return Invitation.objects.filter(
        business=business, status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
    ).order_by("-created_at")


def invitations_for_user(*, user: Any) -> QuerySet[Invitation]:
    """Pending invitations addressed to the caller's phone, whoever sent them before the phone
    had an account: matching on the verified phone at read time is what makes an invitation
    wait for that phone's first login."""
    return (
        Invitation.objects.filter(
            phone=user.phone, status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
        )
        .select_related("business")
        .order_by("-created_at")
    )


def subscription_plans_on_sale() -> QuerySet[SubscriptionPlan]:
    return SubscriptionPlan.objects.filter(is_active=True).order_by("position", "months")


def longest_admin(*, business_id: Any, excluding: Any) -> Any:
    """The id of the admin who has been one longest, but `excluding`; None if there is none."""
    return (
        Membership.objects.filter(business_id=business_id, role=MemberRole.ADMIN)
        .exclude(user_id=excluding)
        .order_by("joined_at", "id")
        .values_list("user_id", flat=True)
        .first()
    )
