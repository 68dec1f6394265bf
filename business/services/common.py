from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from accounts.notifications import notify_user
from accounts.services import audit_record

from ..models import Business, MemberRole, Membership
from ..selectors import longest_admin


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
    """Push to the team (after the commit), each in their own language."""
    data = {"business_id": str(business.pk), "subscription_status": business.subscription_status}
    for user in members(business, admins_only=admins_only):
        notify_user(
            user=user,
            title=title,
            body=body,
            data=data,
            params={"business": business.name, **params},
        )


def creator_pass_on(business: Business, *, leaving_user_id: Any, actor: Any) -> None:
    """The listings of a business that never paid count against its creator's personal quota
    (listings/services/quota.py). When the creator stops being its admin, the admin who has been one
    longest takes that over: leaving is no way to make them free, nor can co-admins leave
    them on the creator. The caller holds the business locked, after `lock_quota_users`."""
    if business.created_by_id is None or str(business.created_by_id) != str(leaving_user_id):
        return
    business.created_by_id = longest_admin(business_id=business.pk, excluding=leaving_user_id)
    business.save(update_fields=("created_by", "updated_at"))
    audit_record(
        actor=actor,
        action="business.creator_passed_on",
        target=business,
        data={"from": str(leaving_user_id), "to": str(business.created_by_id)},
    )
