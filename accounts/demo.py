"""Demo data for `seed_demo`: the demo logins, accounts' seeders (the staff, the consents) and
the table of demo accounts the command prints and the README repeats.

The command (marketplace/management/commands/seed_demo.py) runs every app's seeders in the order
marketplace/demo.py lists them, with the demo accounts they make and facts about a user
("3 favorites", "2 chats") from the higher apps. A seeder must be idempotent: running the
command twice changes nothing.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import OutputWrapper

DEMO_ADMIN_PHONE = "+996700000001"
DEMO_ADMIN_PASSWORD = "demo-admin-360"  # noqa: S105 - a documented demo login, never production
DEMO_MODERATOR_PHONE = "+996700000002"
DEMO_MODERATOR_PASSWORD = "demo-moderator-360"  # noqa: S105 - as above
# The two accounts a mobile developer starts with: consents recorded, room in the quota.
DEMO_BUYER_PHONE = "+996700000003"
DEMO_SELLER_PHONE = "+996700000004"


@dataclass(frozen=True)
class DemoAccount:
    phone: str
    role: str  # what the account is for, as the table shows it


def demo_account_rows(
    accounts: Iterable[DemoAccount], facts: Iterable[Callable[[Any], str]]
) -> list[tuple[str, str, str, str]]:
    """(phone, name, role, what the account has) of every demo account that exists; each of
    `facts`, `describe(user)`, says what the user has in a higher app, or "" for nothing."""
    from .hooks import businesses, listing_quota
    from .models import User

    accounts, facts = list(accounts), list(facts)
    users = User.objects.in_bulk([account.phone for account in accounts], field_name="phone")
    rows = []
    for account in accounts:
        user = users.get(account.phone)
        if user is None:
            continue
        has_list = [_password_of(account.phone)]
        has_list += [f"{ref['role']} of {ref['name']}" for ref in businesses(user)]
        has_list += [describe(user) for describe in facts]
        quota = listing_quota(user)
        has_list.append(f"quota {quota['used']}/{quota['limit']}")
        has = "; ".join(fact for fact in has_list if fact)
        rows.append((account.phone, user.display_name, account.role, has))
    return rows


def format_table(rows: list[tuple[str, str, str, str]], header: tuple[str, ...]) -> list[str]:
    """Plain-text columns for the console."""
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _password_of(phone: str) -> str:
    return {
        DEMO_ADMIN_PHONE: f"password {DEMO_ADMIN_PASSWORD}",
        DEMO_MODERATOR_PHONE: f"password {DEMO_MODERATOR_PASSWORD}",
    }.get(phone, "")


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
    from .models import Role, User

    for phone, name, password, role in (
        (DEMO_ADMIN_PHONE, "Demo Admin", DEMO_ADMIN_PASSWORD, Role.ADMIN),
        (DEMO_MODERATOR_PHONE, "Demo Moderator", DEMO_MODERATOR_PASSWORD, Role.MODERATOR),
    ):
        created = _staff_account(phone=phone, name=name, password=password, role=role)
        out.write(f"  {role} account: {phone} ({'created' if created else 'exists'})")
    for phone, name in (
        (DEMO_BUYER_PHONE, "Демо Покупатель"),
        (DEMO_SELLER_PHONE, "Демо Продавец"),
    ):
        User.objects.get_or_create(phone=phone, defaults={"display_name": name, "city": "Бишкек"})


def seed_consents(out: OutputWrapper, accounts: Iterable[DemoAccount]) -> None:
    """Every demo account has accepted the legal documents in force, so none is asked first."""
    from .models import User
    from .selectors import consent_is_required
    from .services.consents import RequestMeta, consent_record, required_kinds

    meta = RequestMeta(ip=None, user_agent="seed_demo")
    recorded = 0
    for user in User.objects.filter(phone__in=[account.phone for account in accounts]):
        if consent_is_required(user=user):
            for kind in required_kinds():
                consent_record(user=user, kind=kind, accepted=True, meta=meta)
            recorded += 1
    out.write(f"  consents: recorded for {recorded} demo accounts")


STAFF_ACCOUNTS = (
    DemoAccount(DEMO_ADMIN_PHONE, "admin (staff)"),
    DemoAccount(DEMO_MODERATOR_PHONE, "moderator (staff)"),
    DemoAccount(DEMO_BUYER_PHONE, "buyer"),
    DemoAccount(DEMO_SELLER_PHONE, "seller"),
)
