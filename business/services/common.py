from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from accounts.notifications import notify_user

from ..models import Business, MemberRole, Membership


def lock_business(business_id: Any) -> Business:
    return Business.objects.select_for_update().get(pk=business_id)


def active_admins(business: Business, *, excluding: Any = None) -> int:
    """Admins who can still act (a deleted or banned one cannot run the business)."""
    admins = Membership.objects.filter(
        business=business, role=MemberRole.ADMIN, user__is_active=True
    )
    if excluding is not None:
        admins = admins.exclude(user_id=excluding)
    return admins.count()


def members(business: Business, *, admins_only: bool = False) -> QuerySet[User]:
    users = User.objects.filter(memberships__business=business, is_active=True)
    if admins_only:
        users = users.filter(memberships__role=MemberRole.ADMIN)
    return users


def notify_members(
    business: Business, title: Any, body: Any, *, admins_only: bool = False, **params: Any
) -> None:
    """Push to the team (after the commit), each in his own language."""
    data = {"business_id": str(business.pk), "subscription_status": business.subscription_status}
    for user in members(business, admins_only=admins_only):
        notify_user(
            user=user,
            title=title,
            body=body,
            data=data,
            params={"business": business.name, **params},
        )
