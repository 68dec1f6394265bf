"""What higher apps contribute to accounts (house style: the lower app exposes a registry,
the higher app fills it in its AppConfig.ready()).

- the profile's `listing_quota` comes from `listings`, `businesses` from `business`;
- deleting an account asks guards first (`business`: the last admin cannot leave), then
  runs cleanups inside the deletion's transaction (`listings`: archive personal listings);
- revoking every token of a user (a ban, logging out everywhere, a phone change, deletion)
  tells `chat`, which closes their open sockets after the commit; ending one login session
  closes that session's sockets;
- a ban runs cleanups inside its transaction (`listings`: archive personal listings).

The staff commands that gather from every app (`export_user_data`, `marketplace_stats`,
`purge_expired`, `seed_demo`) live in marketplace/management/commands and import the apps.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings

ListingQuota = dict[str, int]
BusinessRef = dict[str, Any]

_listing_quota: list[Callable[[Any], ListingQuota]] = []
_businesses: list[Callable[[Any], list[BusinessRef]]] = []
_deletion_guards: list[Callable[[Any], None]] = []
_deletion_cleanups: list[Callable[[Any], None]] = []
_tokens_revoked: list[Callable[[Any], None]] = []
_session_revoked: list[Callable[[Any, str], None]] = []
_ban_cleanups: list[Callable[..., None]] = []


def _register(registry: list[Any], function: Callable[..., Any]) -> None:
    if function not in registry:
        registry.append(function)


def register_listing_quota(function: Callable[[Any], ListingQuota]) -> None:
    _register(_listing_quota, function)


def register_businesses(function: Callable[[Any], list[BusinessRef]]) -> None:
    _register(_businesses, function)


def register_deletion_guard(function: Callable[[Any], None]) -> None:
    """`function(user)` raises a DomainError when the account must not be deleted now."""
    _register(_deletion_guards, function)


def register_deletion_cleanup(function: Callable[[Any], None]) -> None:
    _register(_deletion_cleanups, function)


def register_tokens_revoked(function: Callable[[Any], None]) -> None:
    """`function(user)` runs inside the revoking transaction, `user.token_version` bumped."""
    _register(_tokens_revoked, function)


def register_session_revoked(function: Callable[[Any, str], None]) -> None:
    """`function(user, session_id)` runs inside the transaction that ends a login session."""
    _register(_session_revoked, function)


def listing_quota(user: Any) -> ListingQuota:
    if _listing_quota:
        return _listing_quota[-1](user)
    # No listings app has registered yet: the user holds none.
    return {"used": 0, "limit": settings.PERSONAL_LISTING_LIMIT}


def businesses(user: Any) -> list[BusinessRef]:
    return _businesses[-1](user) if _businesses else []


def check_deletion_allowed(user: Any) -> None:
    for guard in _deletion_guards:
        guard(user)


def run_deletion_cleanups(user: Any) -> None:
    for cleanup in _deletion_cleanups:
        cleanup(user)


def tokens_revoked(user: Any) -> None:
    for function in _tokens_revoked:
        function(user)


def session_revoked(user: Any, session_id: str) -> None:
    for function in _session_revoked:
        function(user, session_id)


def register_ban_cleanup(function: Callable[..., None]) -> None:
    """`function(user, *, actor)` runs inside the ban's transaction, after the tokens are
    revoked."""
    _register(_ban_cleanups, function)


def run_ban_cleanups(user: Any, *, actor: Any | None) -> None:
    for cleanup in _ban_cleanups:
        cleanup(user, actor=actor)
