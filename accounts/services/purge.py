"""Deleting what has outlived its use (`manage.py purge_expired`): accounts' own purge steps,
and the orphaned-files sweep every app that stores uploads runs over its folder."""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import islice

from django.core.files.storage import Storage

from ..models import LoginSession, PhoneCode, User

# Younger files may belong to an upload whose row is not committed yet.
ORPHAN_MIN_AGE = timedelta(hours=1)
# Expired codes are kept a day, for support questions about a failed login.
CODE_RETENTION = timedelta(days=1)
BATCH_SIZE = 1000


def _walk(storage: Storage, directory: str) -> Iterator[str]:
    """Every file name under `directory`, through the storage API (S3 works as disk does)."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # nothing uploaded there yet (disk storage)
        return
    for name in files:
        yield f"{directory}/{name}"
    for subdirectory in directories:
        yield from _walk(storage, f"{directory}/{subdirectory}")


def orphaned_files_purge(
    *,
    storage: Storage,
    directory: str,
    referenced: Callable[[list[str]], set[str]],
    now: datetime,
    dry_run: bool,
) -> int:
    """Delete the files under `directory` that no row names (`referenced(names)` returns those
    of `names` a row does) and that are older than ORPHAN_MIN_AGE. Returns how many."""
    count = 0
    names = _walk(storage, directory)
    while batch := list(islice(names, BATCH_SIZE)):
        known = referenced(batch)
        for name in batch:
            if name in known or storage.get_modified_time(name) > now - ORPHAN_MIN_AGE:
                continue
            if not dry_run:
                storage.delete(name)
            count += 1
    return count


def avatars_purge(*, now: datetime, dry_run: bool) -> int:
    def referenced(names: list[str]) -> set[str]:
        return set(User.objects.filter(avatar__in=names).values_list("avatar", flat=True))

    storage = User._meta.get_field("avatar").storage
    return orphaned_files_purge(
        storage=storage, directory="avatars", referenced=referenced, now=now, dry_run=dry_run
    )


def phone_codes_purge(*, now: datetime, dry_run: bool) -> int:
    codes = PhoneCode.objects.filter(expires_at__lt=now - CODE_RETENTION)
    return codes.count() if dry_run else codes.delete()[0]


def tokens_purge(*, now: datetime, dry_run: bool) -> int:
    """Refresh tokens past their expiry: their signature is refused anyway, so the records of
    them (and of their blacklisting, which cascades) serve nothing."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    tokens = OutstandingToken.objects.filter(expires_at__lt=now)
    if dry_run:
        return tokens.count()
    return tokens.delete()[1].get(OutstandingToken._meta.label, 0)


def login_sessions_purge(*, now: datetime, dry_run: bool) -> int:
    """Login sessions not refreshed for a refresh token's lifetime: every token of theirs has
    expired, and the device they name is no longer known."""
    from rest_framework_simplejwt.settings import api_settings

    stale = LoginSession.objects.filter(refreshed_at__lt=now - api_settings.REFRESH_TOKEN_LIFETIME)
    return stale.count() if dry_run else stale.delete()[1].get(LoginSession._meta.label, 0)
