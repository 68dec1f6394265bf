from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from accounts.notifications import notify_user
from accounts.services import audit_record

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


def _successor_of(business_id: Any, leaving_user_id: Any) -> Any:
    """The admin who has been one longest, but `leaving_user_id`; None if there is none."""
    return (
        Membership.objects.filter(business_id=business_id, role=MemberRole.ADMIN)
        .exclude(user_id=leaving_user_id)
        .order_by("joined_at", "id")
        .values_list("user_id", flat=True)
        .first()
    )


def lock_quota_users(business_id: Any, *, leaving_user_id: Any) -> None:
    """Before a member stops being an admin of the business: lock the users whose personal
    quota `creator_pass_on` may move its listings between (users before the business, as
    the listing quota locks them)."""
    creator_id = Business.objects.values_list("created_by_id", flat=True).get(pk=business_id)
    if creator_id is None or str(creator_id) != str(leaving_user_id):
        return
    successor = _successor_of(business_id, leaving_user_id)
    ids = sorted(str(pk) for pk in (creator_id, successor) if pk is not None)
    list(User.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))


def creator_pass_on(business: Business, *, leaving_user_id: Any, actor: Any) -> None:
    """The listings of a business that never paid count against its creator's personal quota
    (listings/services/quota.py). When the creator stops being its admin, the admin who has been one
    longest takes that over: leaving is no way to make them free, nor can co-admins leave
    them on the creator. The caller holds the business locked, after `lock_quota_users`."""
    if business.created_by_id is None or str(business.created_by_id) != str(leaving_user_id):
        return
    business.created_by_id = _successor_of(business.pk, leaving_user_id)
    business.save(update_fields=("created_by", "updated_at"))
    audit_record(
        actor=actor,
        action="business.creator_passed_on",
        target=business,
        data={"from": str(leaving_user_id), "to": str(business.created_by_id)},
    )
