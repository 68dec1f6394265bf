"""A business's team: invitations, roles, leaving — and the rule that a business always keeps
an admin who can act.

Every change takes the business's row lock first, so the admin count it checks cannot change
underneath: of two admins demoting each other (or leaving) at once, one succeeds and the
other gets 409 `last_admin`.
"""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.notifications import notify_user
from accounts.services import audit_record

from ..exceptions import LastAdmin, NotBusinessAdmin
from ..locks import (
    businesses_for_update,
    invitations_for_update,
    lock_business,
    lock_quota_users,
    memberships_for_update,
)
from ..models import Business, Invitation, InvitationStatus, MemberRole, Membership
from ..permissions import is_admin
from .common import active_admins, creator_pass_on

INVITATION_TTL = timedelta(days=7)

INVITED_TITLE = _("Invitation to a business")
INVITED_BODY = _("%(business)s invites you to join its team. Open the app to answer.")
REMOVED_TITLE = _("Removed from a business")
REMOVED_BODY = _("You are no longer a member of %(business)s.")


def _require_admin(business: Business, actor: User) -> None:
    """Checked again under the business's lock: an admin demoted a moment ago acts no more."""
    if not is_admin(user=actor, business=business):
        raise NotBusinessAdmin


def _membership(business: Business, user_id: Any) -> Membership:
    membership = (
        memberships_for_update()
        .select_related("user")
        .filter(business=business, user_id=user_id)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def _keeps_an_admin(business: Business, membership: Membership) -> None:
    if membership.role == MemberRole.ADMIN and not active_admins(
        business, excluding=membership.user_id
    ):
        raise LastAdmin


def invitation_create(*, business: Business, actor: User, phone: str, role: str) -> Invitation:
    """Invite a phone (E.164) to the team. The answer is the same whether or not the phone has
    an account; a user who has one is notified, anyone else sees it after logging in. A new
    invitation to the same phone replaces the pending one."""
    now = timezone.now()
    with transaction.atomic():
        business = lock_business(business.pk)
        _require_admin(business, actor)
        # The pending one it replaces is revoked like any other: audited.
        for replaced in invitations_for_update().filter(
            business=business, phone=phone, status=InvitationStatus.PENDING
        ):
            _decide(replaced, InvitationStatus.REVOKED, actor=actor)
        invitation = Invitation.objects.create(
            business=business,
            phone=phone,
            role=role,
            invited_by=actor,
            expires_at=now + INVITATION_TTL,
        )
        audit_record(
            actor=actor,
            action="business.invitation_created",
            target=invitation,
            data={"business": str(business.pk), "role": role},
        )
        invitee = User.objects.filter(phone=phone, is_active=True).first()
        if invitee is not None:
            notify_user(
                user=invitee,
                title=INVITED_TITLE,
                body=INVITED_BODY,
                data={"invitation_id": str(invitation.pk), "business_id": str(business.pk)},
                params={"business": business.name},
            )
    return invitation


def invitation_revoke(*, business: Business, actor: User, invitation_id: Any) -> None:
    with transaction.atomic():
        business = lock_business(business.pk)
        _require_admin(business, actor)
        invitation = (
            invitations_for_update()
            .filter(
                pk=invitation_id,
                business=business,
                status=InvitationStatus.PENDING,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        if invitation is None:
            raise Http404
        _decide(invitation, InvitationStatus.REVOKED, actor=actor)


def _decide(invitation: Invitation, status: str, *, actor: User) -> None:
    invitation.status = status
    invitation.decided_by = actor
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=("status", "decided_by", "decided_at"))
    audit_record(
        actor=actor,
        action=f"business.invitation_{status}",
        target=invitation,
        data={"business": str(invitation.business_id), "role": invitation.role},
    )


def _answer(*, user: User, invitation_id: Any, status: str) -> Invitation:
    """Accept or decline an invitation to the caller's phone; 404 for anyone else's, and for
    one that expired or was revoked. Repeating the same answer is fine (a retried request)."""
    business_id = (
        Invitation.objects.filter(pk=invitation_id, phone=user.phone)
        .values_list("business_id", flat=True)
        .first()
    )
    if business_id is None:
        raise Http404
    with transaction.atomic():
        lock_business(business_id)
        invitation = invitations_for_update().get(pk=invitation_id)
        if invitation.status == status and invitation.decided_by_id == user.pk:
            return invitation
        if (
            invitation.phone != user.phone
            or invitation.status != InvitationStatus.PENDING
            or invitation.expires_at <= timezone.now()
        ):
            raise Http404
        if status == InvitationStatus.ACCEPTED:
            # Already a member (invited twice, added by staff): they keep the role they have.
            Membership.objects.get_or_create(
                business_id=business_id, user=user, defaults={"role": invitation.role}
            )
        _decide(invitation, status, actor=user)
    return invitation


def invitation_accept(*, user: User, invitation_id: Any) -> Invitation:
    return _answer(user=user, invitation_id=invitation_id, status=InvitationStatus.ACCEPTED)


def invitation_decline(*, user: User, invitation_id: Any) -> Invitation:
    return _answer(user=user, invitation_id=invitation_id, status=InvitationStatus.DECLINED)


def member_add(*, business: Business, user: User, role: str, actor: User) -> Membership:
    """Staff add someone to a team directly (the admin console); the app invites instead.
    Someone already in it gets the role."""
    with transaction.atomic():
        business = lock_business(business.pk)
        if Membership.objects.filter(business=business, user=user).exists():
            return member_set_role(
                business=business, user_id=user.pk, role=role, actor=actor, by_staff=True
            )
        membership = Membership.objects.create(business=business, user=user, role=role)
        audit_record(
            actor=actor,
            action="business.member_added",
            target=business,
            data={"user": str(user.pk), "role": role},
        )
    return membership


def member_set_role(
    *, business: Business, user_id: Any, role: str, actor: User, by_staff: bool = False
) -> Membership:
    """Change a member's role (the business's admins; staff with `by_staff`). Demoting the
    last admin is LastAdmin (409)."""
    with transaction.atomic():
        if role != MemberRole.ADMIN:
            lock_quota_users(business.pk, leaving_user_id=user_id)
        business = lock_business(business.pk)
        if not by_staff:
            _require_admin(business, actor)
        membership = _membership(business, user_id)
        if membership.role == role:
            return membership
        if role != MemberRole.ADMIN:
            _keeps_an_admin(business, membership)
        previous = membership.role
        membership.role = role
        membership.save(update_fields=("role",))
        if role != MemberRole.ADMIN:
            creator_pass_on(business, leaving_user_id=user_id, actor=actor)
        audit_record(
            actor=actor,
            action="business.member_role_changed",
            target=business,
            data={"user": str(user_id), "from": previous, "to": role},
        )
    return membership


def member_remove(*, business: Business, user_id: Any, actor: User, by_staff: bool = False) -> None:
    """Remove a member (its admins, or the member themselves: leaving; staff with `by_staff`).
    They lose access at once; the listings they made stay with the business. The last admin
    cannot go: LastAdmin (409)."""
    with transaction.atomic():
        lock_quota_users(business.pk, leaving_user_id=user_id)
        business = lock_business(business.pk)
        leaving = str(user_id) == str(actor.pk)
        if not (by_staff or leaving):
            _require_admin(business, actor)
        membership = _membership(business, user_id)
        _keeps_an_admin(business, membership)
        membership.delete()
        creator_pass_on(business, leaving_user_id=user_id, actor=actor)
        audit_record(
            actor=actor,
            action="business.member_left" if leaving else "business.member_removed",
            target=business,
            data={"user": str(user_id), "role": membership.role},
        )
        if not leaving:
            notify_user(
                user=membership.user,
                title=REMOVED_TITLE,
                body=REMOVED_BODY,
                data={"business_id": str(business.pk)},
                params={"business": business.name},
            )


def memberships_check_deletion(user: User) -> None:
    """Account deletion guard: the last admin of a business cannot delete their account.

    Runs inside the deletion's transaction and keeps the businesses they administer locked
    (in id order) until it commits, so a co-admin leaving at the same time cannot slip by.
    """
    administered = Membership.objects.filter(user=user, role=MemberRole.ADMIN).values("business")
    for business_id in Business.objects.filter(pk__in=administered).values_list("pk", flat=True):
        lock_quota_users(business_id, leaving_user_id=user.pk)
    for business in businesses_for_update().filter(pk__in=administered).order_by("pk"):
        if not active_admins(business, excluding=user.pk):
            raise LastAdmin


def memberships_end_for_deleted_user(user: User) -> None:
    """Account deletion cleanup: the deleted user leaves every team (their listings stay)."""
    for membership in Membership.objects.filter(user=user).select_related("business"):
        membership.delete()
        creator_pass_on(membership.business, leaving_user_id=user.pk, actor=user)
        audit_record(
            actor=user,
            action="business.member_left",
            target=membership.business,
            data={"user": str(user.pk), "role": membership.role, "reason": "account_deleted"},
        )
