"""What the project-wide staff commands gather from every app, in the order they print it:
each app's part of a user's personal data (`export_user_data`), its figures
(`marketplace_stats`) and its purge steps (`purge_expired`). The commands live here, at the
top, and import the apps directly."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.apps import apps

from accounts.reports import user_figures, user_personal_data
from accounts.services import purge as accounts_purge
from business.reports import business_figures, business_personal_data
from business.services.purge import invitations_purge, logos_purge
from chat.reports import chat_figures, chat_personal_data
from listings.reports import listing_figures, listing_personal_data
from listings.services.purge import media_purge
from moderation.reports import queue_figures
from promotions.reports import promotion_figures, promotion_personal_data

# `function(user)` returns the app's part of the user's personal data, JSON-ready (datetimes,
# decimals and UUIDs are fine): a section of `export_user_data`.
PERSONAL_DATA: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("account", user_personal_data),
    ("business", business_personal_data),
    ("listings", listing_personal_data),
    ("payments", promotion_personal_data),
    ("chat", chat_personal_data),
)

# `function(now)` returns the app's figures (numbers, or dicts of them): a section of
# `marketplace_stats`.
STATS: tuple[tuple[str, Callable[[datetime], dict[str, Any]]], ...] = (
    ("users", user_figures),
    ("businesses", business_figures),
    ("listings", listing_figures),
    ("moderation", queue_figures),
    ("promotions", promotion_figures),
    ("chat", chat_figures),
)


def personal_data(user: Any) -> dict[str, Any]:
    return {name: function(user) for name, function in PERSONAL_DATA}


def stats(now: datetime) -> dict[str, dict[str, Any]]:
    return {name: function(now) for name, function in STATS}


def purge_steps() -> list[tuple[str, Callable[..., int]]]:
    """The steps of `purge_expired`, in order: `function(*, now, dry_run)` deletes what has
    outlived its use and returns how many rows or files it deleted (with `dry_run`: would
    delete, deleting nothing)."""
    steps: list[tuple[str, Callable[..., int]]] = [
        ("expired login codes", accounts_purge.phone_codes_purge)
    ]
    if apps.is_installed("rest_framework_simplejwt.token_blacklist"):
        steps.append(("expired refresh tokens", accounts_purge.tokens_purge))
    steps += [
        ("ended login sessions", accounts_purge.login_sessions_purge),
        ("orphaned avatars", accounts_purge.avatars_purge),
        ("expired invitations", invitations_purge),
        ("orphaned logos", logos_purge),
        ("orphaned listing media", media_purge),
    ]
    return steps
