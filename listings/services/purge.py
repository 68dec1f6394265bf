"""Listings' purge step for `manage.py purge_expired`: media files no row names."""

import uuid
from datetime import datetime

from accounts.services.purge import orphaned_files_purge

from ..models import ListingMedia

MEDIA_FILES = ("file", "poster", "thumbnail", "rendition")


def _listing_ids(names: list[str]) -> set[uuid.UUID]:
    ids = set()
    for name in names:
        parts = name.split("/")  # listings/<listing id>/<file>
        try:
            ids.add(uuid.UUID(parts[1]))
        except (IndexError, ValueError):
            continue  # not a listing's folder: no row names it
    return ids


def referenced_media(names: list[str]) -> set[str]:
    """Which of `names` a media row names, looked up through the listings their folders are
    named after (an index), not the file columns (none)."""
    rows = ListingMedia.objects.filter(listing_id__in=_listing_ids(names)).values_list(*MEDIA_FILES)
    return {name for row in rows for name in row if name}


def media_purge(*, now: datetime, dry_run: bool) -> int:
    storage = ListingMedia._meta.get_field("file").storage
    return orphaned_files_purge(
        storage=storage,
        directory="listings",
        referenced=referenced_media,
        now=now,
        dry_run=dry_run,
    )
