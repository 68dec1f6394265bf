"""Every write to a listing's media: adding, reordering and deleting, and the video's processing.

The real type of an upload is sniffed from its bytes, never taken from its name or
Content-Type. Photos and panoramas are re-encoded (no EXIF, no GPS, orientation applied).
Videos are measured by ffprobe at upload (a longer or many-framed one is refused) and stored as
uploaded; then, in `listings.process_video`, they get a poster, their duration and a rendition
every phone plays: H.264/AAC in MP4, without the uploader's metadata.

Positions of a listing's media stay unique and contiguous (0..n-1): every change renumbers
them with the listing row locked, the same lock that holds the per-kind limits.
"""

import logging
import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile

from accounts.exceptions import PayloadTooLarge
from accounts.models import User
from accounts.services import audit_record
from core.tasks import enqueue_on_commit

from ..exceptions import MediaLimitReached, UnsupportedMediaType, VideoTooLong
from ..locks import listings_for_update, lock_listing, lock_media
from ..media.images import _prepare_image
from ..media.probe import probe_video, too_long, video_container
from ..media.transcode import ENCODE_TIMEOUT_S, RenderedVideo, VideoProcessingError, _render
from ..models import Listing, ListingMedia, MediaKind, MediaProcessing
from .listings import listing_note_media_change

# ENCODE_TIMEOUT_S is imported from here by the task that runs the processing.
__all__ = [
    "ENCODE_TIMEOUT_S",
    "MEDIA_LIMITS",
    "VideoProcessingError",
    "media_add",
    "media_delete",
    "media_move",
    "media_process_video",
    "media_refresh_cover",
]

logger = logging.getLogger(__name__)

MEDIA_LIMITS: dict[str, int] = {MediaKind.VIDEO: 1, MediaKind.IMAGE: 20, MediaKind.PANORAMA: 5}

# --- Sniffing and preparing an upload -----------------------------------------------------------


def _check_size(kind: str, upload: UploadedFile) -> None:
    video = kind == MediaKind.VIDEO
    limit = settings.MEDIA_VIDEO_MAX_BYTES if video else settings.MEDIA_IMAGE_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise PayloadTooLarge


@contextmanager
def _copied(chunks: Iterable[bytes], suffix: str) -> Iterator[str]:
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        for chunk in chunks:
            copy.write(chunk)
        copy.flush()
        yield copy.name


@contextmanager
def _upload_on_disk(upload: UploadedFile) -> Iterator[str]:
    """A path to the upload's bytes: Django's own temporary file, or a copy of a small one."""
    if hasattr(upload, "temporary_file_path"):
        yield upload.temporary_file_path()
    else:
        with _copied(upload.chunks(), ".upload") as path:
            yield path


@dataclass(frozen=True)
class PreparedVideo:
    container: str
    duration_s: Decimal | None


def _prepare_video(upload: UploadedFile) -> PreparedVideo:
    upload.seek(0)
    container = video_container(upload.read(64))
    upload.seek(0)
    if container is None:
        raise UnsupportedMediaType
    with _upload_on_disk(upload) as path:
        try:
            probe = probe_video(path, container)
        except (subprocess.SubprocessError, ValueError):
            probe = None
    if probe is None:
        raise UnsupportedMediaType
    if too_long(probe):
        raise VideoTooLong(
            VideoTooLong.message % {"seconds": settings.VIDEO_MAX_DURATION_SECONDS},
            extra={"max_duration_s": settings.VIDEO_MAX_DURATION_SECONDS},
        )
    return PreparedVideo(container=container, duration_s=probe.duration_s)


# --- Placing and counting, under the listing's lock ---------------------------------------------


def _check_limit(listing: Listing, kind: str) -> None:
    if ListingMedia.objects.filter(listing=listing, kind=kind).count() >= MEDIA_LIMITS[kind]:
        raise MediaLimitReached


def _find(items: list[ListingMedia], media_id: Any) -> ListingMedia:
    """The listing's item with this id; ListingMedia.DoesNotExist (a 404) if it has none."""
    media = next((item for item in items if str(item.pk) == str(media_id)), None)
    if media is None:
        raise ListingMedia.DoesNotExist
    return media


def _renumber(items: list[ListingMedia]) -> None:
    changed = []
    for index, item in enumerate(items):
        if item.position != index:
            item.position = index
            changed.append(item)
    ListingMedia.objects.bulk_update(changed, ["position"])


def _store_cover(listing: Listing, items: list[ListingMedia]) -> None:
    """Copy the cover a card shows from `items` (all the listing's media, in order) onto the
    listing row; call with the row locked."""
    video = next((m for m in items if m.kind == MediaKind.VIDEO), None)
    image = next((m for m in items if m.kind != MediaKind.VIDEO), None)
    cover = {
        "cover_video": str((video.rendition or video.file).name) if video else "",
        "cover_poster": str(video.poster.name or "") if video else "",
        "cover_image": str(image.file.name) if image else "",
    }
    if any(getattr(listing, field) != value for field, value in cover.items()):
        Listing.objects.filter(pk=listing.pk).update(**cover)
        for field, value in cover.items():
            setattr(listing, field, value)


def media_refresh_cover(*, listing: Listing) -> None:
    """Copy the cover from the listing's media again (for media written outside this module:
    data loaders, fixtures)."""
    with transaction.atomic():
        locked = listings_for_update().get(pk=listing.pk)
        _store_cover(locked, lock_media(locked))


def _file_names(media: ListingMedia) -> list[str]:
    files = (media.file, media.poster, media.thumbnail, media.rendition)
    return [str(file.name) for file in files if file]


def _delete_files(storage: Storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            # An orphaned file costs storage, not correctness; the request has succeeded.
            logger.exception("Could not delete media file %s", name)


def media_add(
    *,
    listing: Listing,
    actor: User,
    kind: str,
    upload: UploadedFile,
    position: int | None = None,
) -> ListingMedia:
    """Add a video, photo or panorama; at `position` (the others shift), else at the end.

    The slow part (sniffing, re-encoding, storing) runs before the lock; then, with the
    listing row locked, the per-kind limit is checked again and the item is placed, so
    simultaneous uploads never exceed it. Files of a refused upload are deleted.
    """
    _check_size(kind, upload)
    _check_limit(listing, kind)  # early, to spare the work; held below under the lock
    media = ListingMedia(listing=listing, kind=kind)
    # Stored names come from media_upload_to alone: nothing of the uploader's file name.
    files: list[tuple[FieldFile, str, File]]
    if kind == MediaKind.VIDEO:
        video = _prepare_video(upload)
        media.processing = MediaProcessing.PENDING
        media.duration_s = video.duration_s
        files = [(media.file, f"video.{video.container}", upload)]
    else:
        image = _prepare_image(upload, kind)
        files = [
            (media.file, "photo.jpg", ContentFile(image.picture)),
            (media.thumbnail, "thumbnail.jpg", ContentFile(image.thumbnail)),
        ]
    try:
        for field, name, content in files:
            field.save(name, content, save=False)
        with transaction.atomic():
            listing = lock_listing(listing, archived=False)
            _check_limit(listing, kind)
            others = lock_media(listing)
            index = len(others) if position is None else min(position, len(others))
            media.position = index
            media.save()
            others.insert(index, media)
            _renumber(others)
            _store_cover(listing, others)
            listing_note_media_change(listing=listing, actor=actor, change="added")
            audit_record(
                actor=actor,
                action="listing.media_added",
                target=listing,
                data={"media_id": str(media.pk), "kind": kind},
            )
            if kind == MediaKind.VIDEO:
                enqueue_on_commit("listings.process_video", media_id=str(media.pk))
    except BaseException:
        _delete_files(media.file.storage, _file_names(media))
        raise
    return media


def media_move(*, listing: Listing, media_id: Any, actor: User, position: int) -> ListingMedia:
    """Move one item to `position` (past the end means last); the others shift to make room.

    Raises ListingMedia.DoesNotExist (a 404) when the item is not this listing's.
    """
    with transaction.atomic():
        listing = lock_listing(listing, archived=False)
        items = lock_media(listing)
        media = _find(items, media_id)
        items.remove(media)
        items.insert(min(position, len(items)), media)
        _renumber(items)
        _store_cover(listing, items)
        audit_record(
            actor=actor,
            action="listing.media_moved",
            target=listing,
            data={"media_id": str(media.pk), "position": media.position},
        )
    return media


def media_delete(*, listing: Listing, media_id: Any, actor: User) -> None:
    """Delete one item and, once committed, its files (original, poster, thumbnail, rendition).

    Raises ListingMedia.DoesNotExist (a 404) when the item is not this listing's.
    """
    with transaction.atomic():
        listing = lock_listing(listing, archived=False)
        items = lock_media(listing)
        media = _find(items, media_id)
        names, storage = _file_names(media), media.file.storage
        media.delete()
        items.remove(media)
        _renumber(items)
        _store_cover(listing, items)
        listing_note_media_change(listing=listing, actor=actor, change="deleted")
        audit_record(
            actor=actor,
            action="listing.media_deleted",
            target=listing,
            data={"media_id": str(media_id), "kind": media.kind},
        )
        transaction.on_commit(lambda: _delete_files(storage, names))


# --- The video's background processing -----------------------------------------------------------


@contextmanager
def _stored_on_disk(media: ListingMedia) -> Iterator[str]:
    """A local path to the stored upload: the file itself on disk, else a downloaded copy."""
    storage, name = media.file.storage, str(media.file.name)
    try:
        path: str | None = storage.path(name)
    except NotImplementedError:  # S3 and other remote storages
        path = None
    if path is not None and os.path.isfile(path):
        yield path
        return
    with storage.open(name, "rb") as stored, _copied(stored.chunks(), ".video") as copy:
        yield copy


def _record(media: ListingMedia, rendered: RenderedVideo) -> None:
    """Store the poster and rendition and mark the item ready — if it is still pending."""
    with open(rendered.poster, "rb") as poster, open(rendered.rendition, "rb") as rendition:
        media.poster.save("poster.jpg", File(poster), save=False)
        media.rendition.save("video.mp4", File(rendition), save=False)
    names = [str(media.poster.name), str(media.rendition.name)]
    try:
        with transaction.atomic():
            # The listing's lock orders this with the uploads, moves and deletes that also
            # rewrite its cover.
            listing = listings_for_update().filter(pk=media.listing_id).first()
            recorded = listing is not None and ListingMedia.objects.filter(
                pk=media.pk, processing=MediaProcessing.PENDING
            ).update(
                poster=media.poster.name,
                rendition=media.rendition.name,
                duration_s=rendered.duration_s,
                processing=MediaProcessing.READY,
            )
            if listing is not None and recorded:
                _store_cover(listing, lock_media(listing))
    except BaseException:
        _delete_files(media.file.storage, names)
        raise
    if not recorded:
        # Deleted meanwhile, or another run of the task finished first.
        _delete_files(media.file.storage, names)


def media_process_video(*, media_id: Any) -> None:
    """Poster, duration and rendition of a pending video: `ready`, or `failed` (logged) when
    ffmpeg cannot make them.

    Safe to run twice: an item no longer pending is left alone, and of two runs at the same
    time only the first to finish records its files (the other deletes its own).
    """
    media = ListingMedia.objects.filter(
        pk=media_id, kind=MediaKind.VIDEO, processing=MediaProcessing.PENDING
    ).first()
    if media is None:
        return
    with tempfile.TemporaryDirectory(prefix="listing-video-") as workdir:
        try:
            with _stored_on_disk(media) as source:
                rendered = _render(source, workdir)
        except VideoProcessingError as exc:
            logger.warning("Video %s of listing %s failed: %s", media.pk, media.listing_id, exc)
            ListingMedia.objects.filter(pk=media.pk, processing=MediaProcessing.PENDING).update(
                processing=MediaProcessing.FAILED
            )
            return
        _record(media, rendered)
