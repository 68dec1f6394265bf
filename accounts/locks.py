"""Row locks on accounts' tables; every `select_for_update` of this app is here.

The project takes rows in one order (docs/architecture.md, "Row locks"): a payment, then
users (by id), then a business, its subscription order and members, then listings (by id),
their media, then promotions. Accounts' other rows (sessions, tokens, codes, counters) are only
ever locked alone or with their own user's.
"""

from typing import Any

from django.db.models import QuerySet
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from .models import LoginSession, PhoneCode, RateCounter, User


def users_for_update(*, no_key: bool = False) -> QuerySet[User]:
    """Users rows. `no_key` (FOR NO KEY UPDATE) serialises quota counts yet leaves alone inserts
    that merely refer to the user (their audit entries, messages), which need a key share."""
    return User.objects.select_for_update(no_key=no_key)


def lock_users(ids: Any) -> None:
    """Lock these users (None ignored) FOR NO KEY UPDATE, by id: two transactions locking
    several take them in the same order."""
    wanted = sorted(str(pk) for pk in ids if pk is not None)
    list(users_for_update(no_key=True).filter(pk__in=wanted).order_by("pk"))


def login_sessions_for_update() -> QuerySet[LoginSession]:
    return LoginSession.objects.select_for_update()


def outstanding_tokens_for_update() -> QuerySet[OutstandingToken]:
    return OutstandingToken.objects.select_for_update()


def phone_codes_for_update() -> QuerySet[PhoneCode]:
    return PhoneCode.objects.select_for_update()


def rate_counters_for_update() -> QuerySet[RateCounter]:
    return RateCounter.objects.select_for_update()
