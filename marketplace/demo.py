"""The demo of `seed_demo`: every app's seeders in the order they run, the demo accounts they
make and what each app says a demo user has, for the table the command prints and the README
repeats. Each app's demo module keeps its seed functions; a seeder must be idempotent."""

from collections.abc import Callable
from typing import Any

from django.core.management.base import OutputWrapper

from accounts import demo as accounts_demo
from accounts.demo import STAFF_ACCOUNTS, DemoAccount
from business.demo import demo_business_accounts, seed_businesses
from chat.demo import chat_facts, seed_chat, seed_demo_buyer_chat
from listings.demo.businesses import seed_business_listings
from listings.demo.catalogue import DEMO_USERS, seed_catalogue
from listings.demo.sellers import SELLERS, listing_facts, seed_demo_seller_and_buyer, seed_listings
from promotions.demo import seed_promotions


def seed_consents(out: OutputWrapper) -> None:
    """Last: every demo account has accepted the legal documents in force."""
    accounts_demo.seed_consents(out, demo_accounts())


DEMO_SEEDERS: tuple[Callable[[OutputWrapper], None], ...] = (
    accounts_demo.seed_staff,
    seed_businesses,
    seed_listings,
    seed_business_listings,
    seed_catalogue,
    seed_demo_seller_and_buyer,
    seed_promotions,
    seed_chat,
    seed_demo_buyer_chat,
    seed_consents,
)

# `describe(user)` says what the user has in a higher app, or "" for nothing.
DEMO_FACTS: tuple[Callable[[Any], str], ...] = (listing_facts, chat_facts)


def demo_accounts() -> list[DemoAccount]:
    """Every demo account, staff first, each phone once (as first listed)."""
    accounts = [
        *STAFF_ACCOUNTS,
        *demo_business_accounts(),
        *(DemoAccount(phone, "private seller") for phone, *_ in SELLERS.values()),
        *(DemoAccount(phone, "private seller and buyer") for phone, *_ in DEMO_USERS),
    ]
    by_phone: dict[str, DemoAccount] = {}
    for account in accounts:
        by_phone.setdefault(account.phone, account)
    return list(by_phone.values())


def demo_account_rows() -> list[tuple[str, str, str, str]]:
    """(phone, name, role, what the account has) of every demo account that exists."""
    return accounts_demo.demo_account_rows(demo_accounts(), DEMO_FACTS)
