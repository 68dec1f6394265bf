from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F

from .. import hooks
from ..exceptions import AlreadyAdmin
from ..models import MODERATORS_GROUP, Role, User
from .audit import audit_record


@transaction.atomic
def user_set_role(*, user: User, role: str, actor: User | None) -> User:
    """Give `user` a role and keep Django's staff flags and the Moderators group in step."""
    role = Role(role)
    previous = user.role
    user.role = role
    user.is_staff = role in (Role.MODERATOR, Role.ADMIN)
    user.is_superuser = role == Role.ADMIN
    user.save(update_fields=("role", "is_staff", "is_superuser", "updated_at"))
    moderators, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    if role == Role.MODERATOR:
        user.groups.add(moderators)
    else:
        user.groups.remove(moderators)
    if previous != role:
        audit_record(
            actor=actor,
            action="user.role_changed",
            target=user,
            data={"from": previous, "to": role.value},
        )
    return user


@transaction.atomic
def user_save_by_staff(*, user: User, actor: User) -> User:
    """Save a user as staff edited (or added) them in the admin. The role goes through
    `user_set_role`, which keeps the staff flags and the Moderators group in step."""
    role = user.role
    user.role = Role.USER if user._state.adding else User.objects.only("role").get(pk=user.pk).role
    user.save()
    return user_set_role(user=user, role=role, actor=actor)


@transaction.atomic
def moderator_appoint(*, phone: str, display_name: str = "") -> tuple[User, bool]:
    """Make the account of `phone` a moderator, creating it (with no password: staff set one
    for the admin) if there is none; audited. Returns (user, created). An admin is refused
    (`AlreadyAdmin`): admins moderate already, and a demotion is no appointment."""
    user, created = User.objects.get_or_create(phone=phone, defaults={"display_name": display_name})
    if created:
        user.set_unusable_password()
        user.save(update_fields=("password",))
        audit_record(actor=None, action="user.created_by_staff", target=user)
    if user.role == Role.ADMIN:
        raise AlreadyAdmin(phone)
    return user_set_role(user=user, role=Role.MODERATOR, actor=None), created


@transaction.atomic
def user_ban(*, user: User, actor: User | None, reason: str = "") -> User:
    """Deactivate a user: every token fails at once (authentication checks `is_active`), and
    the higher apps clean up (`listings` archives their personal listings). Nothing is
    deleted: their threads, payments and history stay."""
    user.is_active = False
    user.save(update_fields=("is_active", "updated_at"))
    user_revoke_all_tokens(user=user)
    audit_record(actor=actor, action="user.banned", target=user, data={"reason": reason})
    hooks.run_ban_cleanups(user, actor=actor)
    return user


def user_revoke_all_tokens(*, user: User) -> None:
    """Every token the user holds stops working at once, on every device."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=("token_version",))
    hooks.tokens_revoked(user)
