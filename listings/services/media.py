"""Every write to a listing's media: adding, reordering and deleting, and the video's processing.

The real type of an upload is sniffed from its bytes, never taken from its name or
Content-Type. Photos and panoramas are re-encoded (no EXIF, no GPS, orientation applied).
Videos are measured by ffprobe at upload (a longer or many-framed one is refused) and stored as
uploaded; then, in `listings.process_video`, they get a poster, their duration and a rendition
every phone plays: H.264/AAC in MP4, without the uploader's metadata.

Positions of a listing's media stay unique and contiguous (0..n-1): every change renumbers
them with the listing row locked, the same lock that holds the per-kind limits.
"""

import io
import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from PIL import Image, ImageCms, ImageOps

from accounts.exceptions import PayloadTooLarge
from accounts.images import open_picture
from accounts.models import User
from accounts.services import audit_record
from core.tasks import enqueue_on_commit

from ..exceptions import MediaLimitReached, UnsupportedMediaType, VideoTooLong
from ..models import Listing, ListingMedia, MediaKind, MediaProcessing, Status
from .listings import listing_note_media_change
from .quota import lock_owner

logger = logging.getLogger(__name__)

MEDIA_LIMITS: dict[str, int] = {MediaKind.VIDEO: 1, MediaKind.IMAGE: 20, MediaKind.PANORAMA: 5}

# The longest side kept: a photo fills a phone screen; a 360° panorama keeps its detail.
IMAGE_MAX_SIDE: dict[str, int] = {MediaKind.IMAGE: 2048, MediaKind.PANORAMA: 8192}
# The most pixels an upload may have, read from its header before decoding.
IMAGE_MAX_PIXELS: dict[str, int] = {MediaKind.IMAGE: 40_000_000, MediaKind.PANORAMA: 40_000_000}
THUMBNAIL_SIDE = 480
# Far above a real colour profile (sRGB is under 4 KB, a camera's a few hundred KB).
ICC_MAX_BYTES = 1_000_000
JPEG_QUALITY = 85

FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
# The upload waits for ffprobe: a well-formed file answers in well under a second.
PROBE_TIMEOUT_S = 10
# A few times real time for the longest video allowed; below the task's soft time limit, so a
# stuck encode ends as `failed`, not as a killed task.
ENCODE_TIMEOUT_S = 60 + 3 * settings.VIDEO_MAX_DURATION_SECONDS
RENDITION_MAX_SIDE = 1920
POSTER_MAX_SIDE = 1280
# ISO-BMFF brands of still images (HEIF, AVIF): an `ftyp` box, but not a video.
STILL_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif"})
# Which ffmpeg demuxer reads each container: forced, so ffmpeg never guesses a format (an HLS
# playlist, a concat script) from bytes that merely follow a valid header.
DEMUXERS = {"mp4": "mov", "mov": "mov", "webm": "matroska"}


# --- Sniffing and preparing an upload -----------------------------------------------------------


def _check_size(kind: str, upload: UploadedFile) -> None:
    video = kind == MediaKind.VIDEO
    limit = settings.MEDIA_VIDEO_MAX_BYTES if video else settings.MEDIA_IMAGE_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise PayloadTooLarge


def video_container(head: bytes) -> str | None:
    """`mp4`, `mov` or `webm` from a file's first bytes; None for anything else."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if not all(0x20 <= byte < 0x7F for byte in brand) or brand in STILL_IMAGE_BRANDS:
            return None
        return "mov" if brand == b"qt  " else "mp4"
    # EBML magic, then the DocType element (0x4282) naming WebM within the header.
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"\x42\x82" in head[:64] and b"webm" in head[:64]:
        return "webm"
    return None


@dataclass(frozen=True)
class Probe:
    """What ffprobe says about a video file."""

    video_codec: str
    pix_fmt: str
    audio_codecs: tuple[str, ...]
    duration_s: Decimal | None
    # The video stream's packets, counted up to one past VIDEO_MAX_FRAMES.
    frames: int


def _run(command: list[str], *, timeout: float) -> subprocess.CompletedProcess[bytes]:
    # A fixed argument list (no shell) whose only variable parts are our own temporary paths.
    return subprocess.run(command, capture_output=True, timeout=timeout, check=True)  # noqa: S603


def _ffprobe(path: str, container: str, *arguments: str) -> dict[str, Any]:
    command = [FFPROBE, "-v", "error", "-protocol_whitelist", "file", "-f", DEMUXERS[container]]
    output = _run([*command, *arguments, "-of", "json", path], timeout=PROBE_TIMEOUT_S).stdout
    info = json.loads(output or b"{}")
    return info if isinstance(info, dict) else {}


# Any duration above this (an infinite or absurd one) is taken as this: far over every limit.
FOREVER_S = Decimal(10**9)


def _seconds(value: Any) -> Decimal | None:
    try:
        seconds = Decimal(str(value))
    except InvalidOperation:
        return None
    if seconds.is_nan() or seconds < 0:
        return None
    return min(seconds, FOREVER_S).quantize(Decimal("0.01"))


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def probe_video(path: str, container: str) -> Probe | None:
    """The first real video stream (not cover art), the duration and the frames; None if there
    is no video stream.

    The duration is the longest of the container's, the stream's and what its packets'
    timestamps span, so timestamps that leap ahead (a few frames claiming minutes) count in
    full, and so do packets a header understates. The frames are the stream's packets, read
    without decoding, stopping one past the limit, whatever the header claims.
    """
    info = _ffprobe(
        path,
        container,
        "-show_entries",
        "stream=codec_type,codec_name,pix_fmt,duration,nb_frames"
        ":stream_disposition=attached_pic:format=duration",
    )
    streams = info.get("streams") or []
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    if not videos:
        return None
    durations = [
        _seconds((info.get("format") or {}).get("duration")),
        _seconds(videos[0].get("duration")),
    ]
    known = [duration for duration in durations if duration is not None]
    packets = (
        _ffprobe(
            path,
            container,
            *("-select_streams", "V:0"),
            *("-read_intervals", f"%+#{settings.VIDEO_MAX_FRAMES + 1}"),
            *("-show_entries", "packet=pts_time,dts_time"),
        ).get("packets")
        or []
    )
    frames = [_count(videos[0].get("nb_frames")), len(packets)]
    # What the packets' own timestamps span: a header may claim any duration.
    stamps = [
        stamp
        for packet in packets
        if isinstance(packet, dict)
        and (stamp := _seconds(packet.get("pts_time", packet.get("dts_time")))) is not None
    ]
    if stamps:
        known.append(max(stamps) - min(stamps))
    return Probe(
        video_codec=str(videos[0].get("codec_name", "")),
        pix_fmt=str(videos[0].get("pix_fmt", "")),
        audio_codecs=tuple(
            str(s.get("codec_name", "")) for s in streams if s.get("codec_type") == "audio"
        ),
        duration_s=max(known) if known else None,
        frames=max(frames),
    )


def too_long(probe: Probe) -> bool:
    """Longer than VIDEO_MAX_DURATION_SECONDS, or more frames than VIDEO_MAX_FRAMES."""
    duration = probe.duration_s or 0
    return (
        duration > settings.VIDEO_MAX_DURATION_SECONDS or probe.frames > settings.VIDEO_MAX_FRAMES
    )


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


@dataclass(frozen=True)
class PreparedImage:
    picture: bytes
    thumbnail: bytes


def _flattened(picture: Image.Image) -> Image.Image:
    """RGB for JPEG: transparent areas become white, not black."""
    if picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    ):
        rgba = picture.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return picture.convert("RGB")


def _colour_profile(data: Any) -> bytes | None:
    """The upload's ICC profile when it is one (little CMS reads it), else None: arbitrary bytes
    under that name would ride along into every copy served."""
    if not isinstance(data, bytes) or not data or len(data) > ICC_MAX_BYTES:
        return None
    try:
        ImageCms.ImageCmsProfile(io.BytesIO(data))
    except (OSError, ImageCms.PyCMSError):
        return None
    return data


def _jpeg(picture: Image.Image, icc_profile: bytes | None) -> bytes:
    encoded = io.BytesIO()
    # A fresh file of the pixels and the colour profile: EXIF (GPS, camera serials), XMP and
    # comments are gone (Pillow would copy a JPEG comment from `info`).
    picture.info = {}
    picture.save(
        encoded,
        format="JPEG",
        quality=JPEG_QUALITY,
        optimize=True,
        progressive=True,
        icc_profile=icc_profile,
    )
    return encoded.getvalue()


def _prepare_image(upload: UploadedFile, kind: str) -> PreparedImage:
    side = IMAGE_MAX_SIDE[kind]
    with open_picture(
        upload, max_pixels=IMAGE_MAX_PIXELS[kind], unsupported=UnsupportedMediaType
    ) as image:
        # A JPEG far above the limit decodes straight at a fraction of its size.
        scale = min(1.0, side / max(image.size))
        image.draft("RGB", (max(1, int(image.width * scale)), max(1, int(image.height * scale))))
        image.load()
        # A CMYK profile does not describe the RGB pixels written below.
        icc = (
            _colour_profile(image.info.get("icc_profile"))
            if image.mode in ("RGB", "RGBA")
            else None
        )
        picture = _flattened(ImageOps.exif_transpose(image))
        picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    thumbnail = picture.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return PreparedImage(picture=_jpeg(picture, icc), thumbnail=_jpeg(thumbnail, icc))


# --- Placing and counting, under the listing's lock ---------------------------------------------


def _locked(listing: Listing) -> Listing:
    """The listing row, locked after its owner's (a media change may send a paused listing
    back into the quota's count); archived meanwhile is gone (Listing.DoesNotExist, a 404)."""
    lock_owner(author=listing.author, business=listing.business)
    return Listing.objects.select_for_update().exclude(status=Status.ARCHIVED).get(pk=listing.pk)


def _check_limit(listing: Listing, kind: str) -> None:
    if ListingMedia.objects.filter(listing=listing, kind=kind).count() >= MEDIA_LIMITS[kind]:
        raise MediaLimitReached


def _ordered(listing: Listing) -> list[ListingMedia]:
    return list(
        ListingMedia.objects.select_for_update()
        .filter(listing=listing)
        .order_by("position", "created_at")
    )


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
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        _store_cover(locked, _ordered(locked))


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
            listing = _locked(listing)
            _check_limit(listing, kind)
            others = _ordered(listing)
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
        listing = _locked(listing)
        items = _ordered(listing)
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
        listing = _locked(listing)
        items = _ordered(listing)
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


class VideoProcessingError(Exception):
    """ffmpeg could not make what the video needs; the item is marked failed."""


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


def _plays_everywhere(container: str, probe: Probe) -> bool:
    return (
        container == "mp4"
        and probe.video_codec == "h264"
        and probe.pix_fmt in ("yuv420p", "yuvj420p")
        and all(codec == "aac" for codec in probe.audio_codecs)
    )


def _input(source: str, container: str, *, seek: float = 0.0) -> list[str]:
    seek_arguments = ["-ss", f"{seek:.2f}"] if seek else []
    return [*seek_arguments, "-protocol_whitelist", "file", "-f", DEMUXERS[container], "-i", source]


def _ffmpeg(*arguments: str) -> None:
    try:
        _run([FFMPEG, "-nostdin", "-v", "error", "-y", *arguments], timeout=ENCODE_TIMEOUT_S)
    except subprocess.CalledProcessError as exc:
        raise VideoProcessingError(exc.stderr.decode(errors="replace")[-2000:]) from None
    except subprocess.TimeoutExpired:
        raise VideoProcessingError(f"ffmpeg ran longer than {ENCODE_TIMEOUT_S} s") from None


# Fit within a box, never enlarge; H.264 in 4:2:0 needs even sides.
POSTER_SCALE = (
    f"scale='min(iw,{POSTER_MAX_SIDE})':'min(ih,{POSTER_MAX_SIDE})'"
    ":force_original_aspect_ratio=decrease"
)
RENDITION_SCALE = (
    f"scale='if(gte(iw,ih),trunc(min(iw,{RENDITION_MAX_SIDE})/2)*2,-2)'"
    f":'if(gte(iw,ih),-2,trunc(min(ih,{RENDITION_MAX_SIDE})/2)*2)'"
)
H264_AAC = (
    *("-vf", RENDITION_SCALE, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"),
    *("-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"),
    # The source's own timestamps: a gap stays a gap, never filled with copies of a frame.
    *("-fps_mode", "passthrough"),
)


@dataclass(frozen=True)
class RenderedVideo:
    duration_s: Decimal | None
    poster: str
    rendition: str


def _render(source: str, workdir: str) -> RenderedVideo:
    with open(source, "rb") as file:
        container = video_container(file.read(64))
    if container is None:
        raise VideoProcessingError("not an MP4, MOV or WebM file")
    try:
        probe = probe_video(source, container)
    except (subprocess.SubprocessError, ValueError) as exc:
        raise VideoProcessingError(f"ffprobe failed: {exc}") from None
    if probe is None:
        raise VideoProcessingError("no video stream")
    if too_long(probe):
        raise VideoProcessingError(
            f"longer than allowed ({probe.duration_s} s, {probe.frames} frames)"
        )

    poster = os.path.join(workdir, "poster.jpg")
    # A second in, past a black first frame; halfway into a shorter clip.
    seek = min(1.0, float(probe.duration_s) / 2) if probe.duration_s else 0.0
    _ffmpeg(*_input(source, container, seek=seek), "-frames:v", "1", "-vf", POSTER_SCALE, poster)
    if not os.path.exists(poster) or os.path.getsize(poster) == 0:
        raise VideoProcessingError("no frame for the poster")

    rendition = os.path.join(workdir, "rendition.mp4")
    # Already H.264/AAC in MP4: copied, not re-encoded — still rewritten, so the uploader's
    # metadata (a phone's GPS location) is dropped and playback can start before the download
    # ends (faststart).
    codecs = ("-c", "copy") if _plays_everywhere(container, probe) else H264_AAC
    _ffmpeg(
        *_input(source, container),
        *("-map", "0:V:0", "-map", "0:a:0?", "-map_metadata", "-1", "-map_chapters", "-1"),
        *codecs,
        *("-t", str(settings.VIDEO_MAX_DURATION_SECONDS)),
        *("-movflags", "+faststart", "-f", "mp4", rendition),
    )
    return RenderedVideo(duration_s=probe.duration_s, poster=poster, rendition=rendition)


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
            listing = Listing.objects.select_for_update().filter(pk=media.listing_id).first()
            recorded = listing is not None and ListingMedia.objects.filter(
                pk=media.pk, processing=MediaProcessing.PENDING
            ).update(
                poster=media.poster.name,
                rendition=media.rendition.name,
                duration_s=rendered.duration_s,
                processing=MediaProcessing.READY,
            )
            if listing is not None and recorded:
                _store_cover(listing, _ordered(listing))
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
