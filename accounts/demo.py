"""Demo data for `seed_demo`.

Each app registers a seeder in its AppConfig.ready(); the command runs them in order. A seeder
must be idempotent: running the command twice changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.management.base import OutputWrapper

DEMO_ADMIN_PHONE = "+996700000001"
DEMO_ADMIN_PASSWORD = "demo-admin-360"  # noqa: S105 - a documented demo login, never production


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


def seed_staff(out: OutputWrapper) -> None:
    from .models import Role, User
    from .services import user_set_role

    admin, created = User.objects.get_or_create(
        phone=DEMO_ADMIN_PHONE, defaults={"display_name": "Demo Admin"}
    )
    if created:
        admin.set_password(DEMO_ADMIN_PASSWORD)
        admin.save(update_fields=("password",))
    if admin.role != Role.ADMIN:
        user_set_role(user=admin, role=Role.ADMIN, actor=None)
    out.write(f"  admin account: {DEMO_ADMIN_PHONE} ({'created' if created else 'exists'})")
