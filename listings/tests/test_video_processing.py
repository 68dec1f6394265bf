"""Videos: sniffed at upload, then a poster, the duration and an H.264 rendition in the
background (`listings.process_video`, run inline by the test settings)."""

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import LazySettings
from django.core.files.storage import InMemoryStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from listings.media import probe as media_probe
from listings.media import transcode as media_transcode
from listings.models import Listing, ListingMedia
from listings.services import media as media_service
from listings.tasks import process_video_task, requeue_pending_videos_task
from listings.tests.conftest import client_for, create
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
FFPROBE = shutil.which("ffprobe") or "ffprobe"
TEST_PATTERN = ("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10")
TONE = ("-f", "lavfi", "-i", "sine=frequency=440")
LOCATION = "+42.8746+074.5698/"


def has_encoder(name: str) -> bool:
    encoders = subprocess.run(
        [FFMPEG, "-hide_banner", "-encoders"], capture_output=True, text=True, check=True
    ).stdout
    return f" {name} " in encoders


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One-second clips made once per test process: what phones and cameras send."""
    folder = tmp_path_factory.mktemp("videos")
    # iPhones record HEVC in MOV; without libx265, MPEG-4 Part 2 is just as "not H.264".
    hevc = (
        ("-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1")
        if has_encoder("libx265")
        else ("-c:v", "mpeg4")
    )
    recipes: dict[str, tuple[str, ...]] = {
        "h264.mp4": (
            *TEST_PATTERN,
            *TONE,
            *("-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"),
            *("-metadata", f"location={LOCATION}"),
        ),
        "hevc.mov": (*TEST_PATTERN, *hevc, "-pix_fmt", "yuv420p"),
        "vp8.webm": (*TEST_PATTERN, "-c:v", "libvpx", "-b:v", "200k"),
        "tone.m4a": (*TONE, "-c:a", "aac"),
    }
    for name, recipe in recipes.items():
        subprocess.run(
            [FFMPEG, "-nostdin", "-v", "error", "-y", *recipe, "-t", "1", str(folder / name)],
            check=True,
        )
    return {name: folder / name for name in recipes}


def gap_video(path: Path, *, frames: int, gap_s: int) -> Path:
    """`frames` frames at 10 a second whose last one comes `gap_s` seconds late: a few KB
    whose timestamps claim minutes. MPEG-4 Part 2, so the rendition is an encode, not a copy."""
    subprocess.run(
        [
            *(FFMPEG, "-nostdin", "-v", "error", "-y", *TEST_PATTERN),
            *(
                "-frames:v",
                str(frames),
                "-vf",
                f"setpts='PTS+if(gte(N,{frames - 1}),{gap_s}/TB,0)'",
            ),
            *("-fps_mode", "passthrough", "-c:v", "mpeg4", str(path)),
        ],
        check=True,
    )
    return path


def count_frames(path: Path | str) -> int:
    output = subprocess.run(
        [
            *(FFPROBE, "-v", "error", "-count_packets", "-select_streams", "v:0"),
            *("-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(path)),
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return int(output.strip().rstrip(","))


def probe(path: Path | str) -> dict[str, Any]:
    output = subprocess.run(
        [
            FFPROBE,
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name,pix_fmt:stream_tags:format=format_name,duration"
            ":format_tags",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        check=True,
    ).stdout
    return dict(json.loads(output))


def video_stream_md5(path: Path | str) -> str:
    """A digest of the encoded video packets: equal when a stream was copied, not re-encoded."""
    packets = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-map", "0:v", "-c", "copy", "-f", "h264", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return hashlib.md5(packets, usedforsecurity=False).hexdigest()


def local_copy(name: str, folder: Path) -> Path:
    """A stored file on disk, whatever the storage, for ffprobe."""
    path = folder / Path(name).name
    with default_storage.open(name) as stored:
        path.write_bytes(stored.read())
    return path


class RemoteStorage(InMemoryStorage):
    """Like S3: stored files can be opened, but have no local path."""

    def path(self, name: str) -> str:
        raise NotImplementedError("This backend doesn't support absolute paths.")

    def _relative_path(self, name: str) -> str:
        return os.path.relpath(super().path(name), self.location)


def media_url(listing_id: Any) -> str:
    return f"/api/v1/listings/{listing_id}/media/"


def upload_file(
    user: Any, listing_id: Any, path: Path, *, name: str = "", kind: str = "video"
) -> Any:
    file = SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="video/mp4")
    return client_for(user).post(
        media_url(listing_id), {"file": file, "kind": kind}, format="multipart"
    )


def upload_bytes(user: Any, listing_id: Any, content: bytes, name: str) -> Any:
    file = SimpleUploadedFile(name, content, content_type="video/mp4")
    return client_for(user).post(
        media_url(listing_id), {"file": file, "kind": "video"}, format="multipart"
    )


@pytest.fixture
def listing_id(author: Any) -> str:
    return str(create(author).json()["id"])


@pytest.fixture
def processed(
    author: Any, listing_id: str, django_capture_on_commit_callbacks: Any
) -> Callable[[Path], ListingMedia]:
    """Upload a video and run what the commit enqueues (the processing task, inline)."""

    def run(path: Path) -> ListingMedia:
        with django_capture_on_commit_callbacks(execute=True):
            response = upload_file(author, listing_id, path)
        assert response.status_code == 201, response.content
        return ListingMedia.objects.get(pk=response.json()["id"])

    return run


# --- Processing -------------------------------------------------------------------------------


def test_an_hevc_mov_gets_a_poster_its_duration_and_an_h264_rendition(
    author: Any,
    listing_id: str,
    videos: dict[str, Path],
    processed: Callable[[Path], ListingMedia],
    tmp_path: Path,
) -> None:
    assert probe(videos["hevc.mov"])["streams"][0]["codec_name"] != "h264"  # the premise

    media = processed(videos["hevc.mov"])

    assert media.processing == "ready"
    assert float(media.duration_s or 0) == pytest.approx(1.0, abs=0.2)
    assert media.file.name.endswith(".mov")
    with Image.open(default_storage.open(media.poster.name)) as poster:
        assert poster.format == "JPEG"
        assert poster.size == (160, 120)
    rendition = probe(local_copy(media.rendition.name, tmp_path))
    assert "mp4" in rendition["format"]["format_name"]
    assert media.rendition.name.endswith(".mp4")
    (video,) = [s for s in rendition["streams"] if s["codec_type"] == "video"]
    assert video["codec_name"] == "h264"
    assert video["pix_fmt"] == "yuv420p"
    item = client_for(author).get(f"/api/v1/listings/{listing_id}/").json()["media"][0]
    assert item["url"] == f"http://testserver{media.rendition.url}"
    assert item["poster_url"] == f"http://testserver{media.poster.url}"
    assert item["duration_s"] == pytest.approx(1.0, abs=0.2)


def test_an_h264_mp4_is_copied_without_reencoding_and_without_its_location(
    videos: dict[str, Path], processed: Callable[[Path], ListingMedia], tmp_path: Path
) -> None:
    original = probe(videos["h264.mp4"])
    assert original["format"]["tags"]["location"] == LOCATION  # the premise

    media = processed(videos["h264.mp4"])

    assert media.processing == "ready"
    rendition = local_copy(media.rendition.name, tmp_path)
    assert video_stream_md5(rendition) == video_stream_md5(videos["h264.mp4"])
    info = probe(rendition)
    assert [s["codec_name"] for s in info["streams"]] == ["h264", "aac"]
    assert LOCATION not in json.dumps(info)
    assert LOCATION.encode() not in rendition.read_bytes()
    # faststart: the index comes before the media data, so playback starts at once.
    data = rendition.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_a_webm_gets_an_h264_rendition(
    videos: dict[str, Path], processed: Callable[[Path], ListingMedia], tmp_path: Path
) -> None:
    media = processed(videos["vp8.webm"])

    assert media.processing == "ready"
    assert media.file.name.endswith(".webm")
    streams = probe(local_copy(media.rendition.name, tmp_path))["streams"]
    assert [s["codec_name"] for s in streams] == ["h264"]


def test_the_upload_answers_at_once_and_the_work_starts_after_commit(
    author: Any, listing_id: str, videos: dict[str, Path], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload_file(author, listing_id, videos["h264.mp4"])

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "video"
    assert body["poster_url"] is None
    assert body["duration_s"] == pytest.approx(1.0, abs=0.2)
    assert body["url"].endswith(".mp4")
    media = ListingMedia.objects.get(pk=body["id"])
    assert media.processing == "pending"
    assert not media.poster
    assert len(callbacks) == 1


def test_a_large_upload_spooled_to_disk_is_probed_in_place(
    author: Any,
    listing_id: str,
    videos: dict[str, Path],
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload becomes a temporary file
    copies: list[str] = []
    copied = media_service._copied

    def spy(chunks: Any, suffix: str) -> Any:
        copies.append(suffix)
        return copied(chunks, suffix)

    monkeypatch.setattr(media_service, "_copied", spy)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload_file(author, listing_id, videos["hevc.mov"])

    assert response.status_code == 201, response.content
    assert copies == []  # neither the upload nor the stored file needed a copy
    assert ListingMedia.objects.get(pk=response.json()["id"]).processing == "ready"


def test_processing_again_changes_nothing(
    videos: dict[str, Path], processed: Callable[[Path], ListingMedia], settings: LazySettings
) -> None:
    media = processed(videos["hevc.mov"])
    files = sorted(Path(settings.MEDIA_ROOT).rglob("*"))

    process_video_task(media_id=str(media.pk))

    again = ListingMedia.objects.get(pk=media.pk)
    assert (again.poster.name, again.rendition.name) == (media.poster.name, media.rendition.name)
    assert sorted(Path(settings.MEDIA_ROOT).rglob("*")) == files


def test_a_video_deleted_while_processing_leaves_no_files(
    author: Any,
    listing_id: str,
    videos: dict[str, Path],
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        media_id = upload_file(author, listing_id, videos["hevc.mov"]).json()["id"]
    render = media_service._render

    def render_then_lose_the_row(source: str, workdir: str) -> Any:
        rendered = render(source, workdir)
        ListingMedia.objects.filter(pk=media_id).delete()
        return rendered

    monkeypatch.setattr(media_service, "_render", render_then_lose_the_row)

    process_video_task(media_id=media_id)

    names = {p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}
    assert not any(name.endswith((".jpg", ".mp4")) for name in names)  # only the .mov upload


def test_a_video_ffmpeg_cannot_decode_is_marked_failed_and_logged(
    author: Any,
    listing_id: str,
    videos: dict[str, Path],
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        media_id = upload_file(author, listing_id, videos["h264.mp4"]).json()["id"]
    media = ListingMedia.objects.get(pk=media_id)
    # The stored bytes go bad: a valid header, then garbage.
    with open(media.file.path, "r+b") as stored:
        stored.seek(40)
        stored.write(os.urandom(4000))
        stored.truncate()

    with caplog.at_level(logging.WARNING, logger="listings.services.media"):
        process_video_task(media_id=media_id)

    media.refresh_from_db()
    assert media.processing == "failed"
    assert not media.poster
    assert not media.rendition
    assert any(str(media.pk) in record.getMessage() for record in caplog.records)


def test_a_stuck_ffmpeg_is_stopped_and_the_video_marked_failed(
    author: Any,
    listing_id: str,
    videos: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(media_transcode, "ENCODE_TIMEOUT_S", 0.001)

    with django_capture_on_commit_callbacks(execute=True):
        media_id = upload_file(author, listing_id, videos["hevc.mov"]).json()["id"]

    assert ListingMedia.objects.get(pk=media_id).processing == "failed"


def test_a_video_in_remote_storage_is_downloaded_to_be_processed(
    videos: dict[str, Path],
    processed: Callable[[Path], ListingMedia],
    settings: LazySettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "listings.tests.test_video_processing.RemoteStorage"},
    }
    with pytest.raises(NotImplementedError):
        default_storage.path("anything")

    copies: list[str] = []
    copied = media_service._copied

    def spy(chunks: Any, suffix: str) -> Any:
        copies.append(suffix)
        return copied(chunks, suffix)

    monkeypatch.setattr(media_service, "_copied", spy)

    media = processed(videos["hevc.mov"])

    assert media.processing == "ready"
    assert ".video" in copies  # downloaded from the storage
    assert default_storage.exists(media.poster.name)
    streams = probe(local_copy(media.rendition.name, tmp_path))["streams"]
    assert streams[0]["codec_name"] == "h264"


def test_deleting_a_video_deletes_its_poster_and_rendition(
    author: Any,
    listing_id: str,
    videos: dict[str, Path],
    processed: Callable[[Path], ListingMedia],
    django_capture_on_commit_callbacks: Any,
) -> None:
    media = processed(videos["hevc.mov"])
    names = [media.file.name, media.poster.name, media.rendition.name]
    assert all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(author).delete(f"{media_url(listing_id)}{media.pk}/")

    assert response.status_code == 204
    assert not any(default_storage.exists(name) for name in names)


# --- Refusals at upload -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00" + b"#!/bin/sh\nrm -rf /\n" * 50, "x.mp4"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(500), "photo.mov"),
        (b"\x1a\x45\xdf\xa3" + bytes(500), "clip.webm"),
        (b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n", "p.mp4"),
    ],
    ids=["mp4-header-then-a-script", "heic-photo", "bare-ebml", "hls-playlist"],
)
def test_bytes_that_only_look_like_a_video_are_unsupported(
    author: Any, listing_id: str, content: bytes, name: str
) -> None:
    assert_error(upload_bytes(author, listing_id, content, name), 415, "unsupported_media_type")
    assert not ListingMedia.objects.exists()


def test_a_few_frames_claiming_minutes_are_refused_before_any_encode(
    author: Any, listing_id: str, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    attack = gap_video(tmp_path / "gap.mp4", frames=26, gap_s=228)
    assert attack.stat().st_size < 100_000  # the premise: a few KB claiming 230 s
    assert float(probe(attack)["format"]["duration"]) > 180

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload_file(author, listing_id, attack)

    error = assert_error(response, 400, "video_too_long")
    assert error["max_duration_s"] == 180
    assert not ListingMedia.objects.exists()
    assert callbacks == []


def understated(path: Path, seconds: int) -> Path:
    """The MP4 at `path` with its headers (mvhd, mdhd, tkhd) claiming `seconds`, whatever its
    packets' timestamps say."""
    data = bytearray(path.read_bytes())

    def claim(box: bytes, duration_at: int, timescale: int | None = None) -> int:
        at = data.find(box)
        assert at > 0
        assert data[at + 4] == 0  # version 0: 32-bit fields
        timescale = timescale or int.from_bytes(data[at + 16 : at + 20], "big")
        data[at + duration_at : at + duration_at + 4] = (seconds * timescale).to_bytes(4, "big")
        return timescale

    movie_timescale = claim(b"mvhd", 20)
    claim(b"mdhd", 20)
    claim(b"tkhd", 24, movie_timescale)
    path.write_bytes(data)
    return path


def test_a_header_claiming_seconds_for_minutes_of_frames_is_refused(
    author: Any, listing_id: str, tmp_path: Path
) -> None:
    attack = understated(gap_video(tmp_path / "gap.mp4", frames=26, gap_s=228), seconds=2)
    assert float(probe(attack)["format"]["duration"]) == 2  # the premise: the header lies

    response = upload_file(author, listing_id, attack)

    assert_error(response, 400, "video_too_long")
    assert not ListingMedia.objects.exists()


def test_a_video_of_more_frames_than_allowed_is_refused(
    author: Any, listing_id: str, videos: dict[str, Path], settings: LazySettings
) -> None:
    settings.VIDEO_MAX_FRAMES = 9  # the clip is one second at 10 frames a second

    response = upload_file(author, listing_id, videos["vp8.webm"])

    assert_error(response, 400, "video_too_long")
    assert not ListingMedia.objects.exists()


@pytest.mark.parametrize("duration", ["inf", "1e30"])
def test_a_video_claiming_an_endless_duration_is_too_long(
    author: Any,
    listing_id: str,
    videos: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    duration: str,
) -> None:
    ffprobe = media_probe._ffprobe

    def claiming(path: str, container: str, *arguments: str) -> dict[str, Any]:
        info = ffprobe(path, container, *arguments)
        if "format" in info:
            info["format"]["duration"] = duration
        return info

    monkeypatch.setattr(media_probe, "_ffprobe", claiming)

    response = upload_file(author, listing_id, videos["h264.mp4"])

    assert_error(response, 400, "video_too_long")


def test_a_video_up_to_the_limits_is_accepted(
    author: Any, listing_id: str, videos: dict[str, Path], settings: LazySettings
) -> None:
    settings.VIDEO_MAX_FRAMES = 10
    settings.VIDEO_MAX_DURATION_SECONDS = 1

    response = upload_file(author, listing_id, videos["vp8.webm"])

    assert response.status_code == 201, response.content


def test_the_rendition_keeps_a_gap_without_filling_it(
    videos: dict[str, Path],
    processed: Callable[[Path], ListingMedia],
    tmp_path: Path,
) -> None:
    source = gap_video(tmp_path / "gap.mp4", frames=26, gap_s=20)

    media = processed(source)

    assert media.processing == "ready"
    rendition = local_copy(media.rendition.name, tmp_path)
    assert probe(rendition)["streams"][0]["codec_name"] == "h264"  # encoded, not copied
    assert count_frames(rendition) == 26  # not 22.6 s at a fixed rate: 500-odd frames
    assert float(probe(rendition)["format"]["duration"]) == pytest.approx(22.6, abs=0.5)


def test_the_rendition_stops_at_the_longest_duration_allowed(
    videos: dict[str, Path],
    processed: Callable[[Path], ListingMedia],
    tmp_path: Path,
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = gap_video(tmp_path / "gap.mp4", frames=30, gap_s=20)
    settings.VIDEO_MAX_DURATION_SECONDS = 3
    # Past the measurement (a file whose timestamps lie about its length), the encode is cut.
    monkeypatch.setattr(media_service, "too_long", lambda probe: False)
    monkeypatch.setattr(media_transcode, "too_long", lambda probe: False)

    media = processed(source)

    assert media.processing == "ready"
    rendition = local_copy(media.rendition.name, tmp_path)
    assert float(probe(rendition)["format"]["duration"]) <= 3.05
    assert count_frames(rendition) == 29


def test_a_video_stored_before_a_lower_limit_is_marked_failed(
    author: Any,
    listing_id: str,
    videos: dict[str, Path],
    settings: LazySettings,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        media_id = upload_file(author, listing_id, videos["hevc.mov"]).json()["id"]
    settings.VIDEO_MAX_FRAMES = 5

    process_video_task(media_id=media_id)

    media = ListingMedia.objects.get(pk=media_id)
    assert media.processing == "failed"
    assert not media.rendition


def test_the_encode_gives_up_in_time_for_the_longest_video(settings: LazySettings) -> None:
    # Long enough for a few times real time, shorter than the task's own limits.
    assert 2 * settings.VIDEO_MAX_DURATION_SECONDS <= media_service.ENCODE_TIMEOUT_S
    assert media_service.ENCODE_TIMEOUT_S <= 60 + 4 * settings.VIDEO_MAX_DURATION_SECONDS
    assert process_video_task.soft_time_limit > 2 * media_service.ENCODE_TIMEOUT_S


def test_audio_without_a_picture_is_not_a_video(
    author: Any, listing_id: str, videos: dict[str, Path]
) -> None:
    response = upload_file(author, listing_id, videos["tone.m4a"], name="clip.mp4")

    assert_error(response, 415, "unsupported_media_type")


def test_a_video_sent_as_a_photo_is_unsupported(
    author: Any, listing_id: str, videos: dict[str, Path]
) -> None:
    response = upload_file(author, listing_id, videos["h264.mp4"], name="photo.jpg", kind="image")

    assert_error(response, 415, "unsupported_media_type")


def test_a_second_video_is_over_the_limit(
    author: Any, listing_id: str, videos: dict[str, Path]
) -> None:
    assert upload_file(author, listing_id, videos["h264.mp4"]).status_code == 201

    response = upload_file(author, listing_id, videos["vp8.webm"])

    assert_error(response, 400, "media_limit_reached")
    assert ListingMedia.objects.filter(listing_id=listing_id).count() == 1


def test_a_video_lets_the_listing_be_submitted(
    author: Any, listing_id: str, videos: dict[str, Path]
) -> None:
    upload_file(author, listing_id, videos["h264.mp4"])

    response = client_for(author).post(f"/api/v1/listings/{listing_id}/submit/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending_review"


def test_a_web_process_knows_the_video_task_without_a_worker() -> None:
    # Nothing but Django's start-up has run: enqueue_on_commit looks the task up by name.
    script = (
        "import django; django.setup()\n"
        "from marketplace.celery import app\n"
        "assert 'listings.process_video' in app.tasks, sorted(app.tasks)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings.test"}

    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr[-2000:]


def test_the_sweep_requeues_videos_left_pending(
    author: Any, listing_id: str, videos: dict[str, Path]
) -> None:
    # An upload whose processing was never enqueued (the broker was down after the commit).
    response = upload_file(author, listing_id, videos["h264.mp4"])
    media_id = response.json()["id"]
    ListingMedia.objects.filter(pk=media_id).update(
        created_at=timezone.now() - timezone.timedelta(hours=1)
    )
    assert ListingMedia.objects.get(pk=media_id).processing == "pending"

    requeued = requeue_pending_videos_task.apply().get()

    assert requeued == 1
    assert ListingMedia.objects.get(pk=media_id).processing == "ready"


def test_the_card_cover_plays_the_rendition_with_its_poster_once_made(
    author: Any,
    listing_id: str,
    videos: dict[str, Path],
    django_capture_on_commit_callbacks: Any,
) -> None:
    def cover() -> dict[str, str]:
        Listing.objects.filter(pk=listing_id).update(status="active", published_at=timezone.now())
        (card,) = client_for(author).get("/api/v1/listings/feed/").json()["results"]
        return card["cover"]  # type: ignore[no-any-return]

    with django_capture_on_commit_callbacks(execute=False) as pending:
        assert upload_file(author, listing_id, videos["hevc.mov"]).status_code == 201
    media = ListingMedia.objects.get(listing_id=listing_id)
    assert cover() == {"video_url": f"http://testserver{media.file.url}"}  # not processed yet

    for callback in pending:
        callback()

    media.refresh_from_db()
    assert cover() == {
        "video_url": f"http://testserver{media.rendition.url}",
        "poster_url": f"http://testserver{media.poster.url}",
    }
