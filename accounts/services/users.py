from django.contrib.auth.models import Group
from django.db import transaction

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
