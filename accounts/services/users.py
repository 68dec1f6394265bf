from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F

from .. import hooks
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
