"""Demo data for `seed_demo`.

Each app registers a seeder in its AppConfig.ready(); the command runs them in order. A seeder
must be idempotent: running the command twice changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.management.base import OutputWrapper

DEMO_ADMIN_PHONE = "+996700000001"
DEMO_ADMIN_PASSWORD = "demo-admin-360"  # noqa: S105 - a documented demo login, never production
DEMO_MODERATOR_PHONE = "+996700000002"
DEMO_MODERATOR_PASSWORD = "demo-moderator-360"  # noqa: S105 - as above


@dataclass(frozen=True)
class DemoSeeder:
    order: int
    seeder: Callable[[OutputWrapper], None]


_SEEDERS: list[DemoSeeder] = []


def register_demo_seeder(*, order: int, seeder: Callable[[OutputWrapper], None]) -> None:
    if all(registered.seeder is not seeder for registered in _SEEDERS):
        _SEEDERS.append(DemoSeeder(order=order, seeder=seeder))


def demo_seeders() -> list[DemoSeeder]:
    return sorted(_SEEDERS, key=lambda registered: registered.order)


def _staff_account(*, phone: str, name: str, password: str, role: str) -> bool:
    """The staff login with this phone and role; True if created now."""
    from .models import User
    from .services import user_set_role

    user, created = User.objects.get_or_create(phone=phone, defaults={"display_name": name})
    if created:
        user.set_password(password)
        user.save(update_fields=("password",))
    if user.role != role:
        user_set_role(user=user, role=role, actor=None)
    return created


def seed_staff(out: OutputWrapper) -> None:
    from .models import Role

    for phone, name, password, role in (
        (DEMO_ADMIN_PHONE, "Demo Admin", DEMO_ADMIN_PASSWORD, Role.ADMIN),
        (DEMO_MODERATOR_PHONE, "Demo Moderator", DEMO_MODERATOR_PASSWORD, Role.MODERATOR),
    ):
        created = _staff_account(phone=phone, name=name, password=password, role=role)
        out.write(f"  {role} account: {phone} ({'created' if created else 'exists'})")
