"""Who may do what with a business — the one place.

- anyone sees a business's public page;
- its members (admins and sellers) see its team, its subscription and every status of its
  listings, and manage those listings;
- its admins alone manage the profile, logo, team, invitations and subscription: a seller
  gets 403 (they see the business), anyone else 404 (nothing of another business's team is
  revealed).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from core.ids import uuid_or_404

from .exceptions import NotBusinessAdmin
from .models import Business, MemberRole, Membership


def membership_of(*, user: Any, business_id: Any) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("business")
        .filter(business_id=uuid_or_404(business_id), user=user)
        .first()
    )


def is_member(*, user: Any, business: Business) -> bool:
    """An admin or a seller of `business`: may post and manage its listings."""
    return Membership.objects.filter(business=business, user=user).exists()


def is_admin(*, user: Any, business: Business) -> bool:
    return Membership.objects.filter(business=business, user=user, role=MemberRole.ADMIN).exists()


def member_business_ids(user: Any) -> QuerySet[Membership, Any]:
    """The ids of the businesses `user` is a member of, as a subquery (`business__in=...`)."""
    return Membership.objects.filter(user=user).values("business")


def member_ids(*, business_id: Any) -> list[Any]:
    """The users on the business's side: its admins and sellers."""
    return list(
        Membership.objects.filter(business_id=business_id).values_list("user_id", flat=True)
    )


def business_get_for_member(*, user: Any, business_id: Any) -> Membership:
    """The caller's membership (with its business); 404 for a business they are not in."""
    membership = membership_of(user=user, business_id=business_id)
    if membership is None:
        raise Http404
    return membership


def business_get_for_admin(*, user: Any, business_id: Any) -> Business:
    """The business if the caller is its admin: 404 for outsiders, 403 for its sellers."""
    membership = business_get_for_member(user=user, business_id=business_id)
    if membership.role != MemberRole.ADMIN:
        raise NotBusinessAdmin
    return membership.business


def business_get_public(*, business_id: Any) -> Business:
    business = Business.objects.filter(pk=uuid_or_404(business_id)).first()
    if business is None:
        raise Http404
    return business
