"""ffmpeg's part of a video's processing: a poster and a rendition every phone plays (H.264/AAC
in MP4, without the uploader's metadata)."""

import os
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from .probe import DEMUXERS, Probe, _run, probe_video, too_long, video_container

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
# A few times real time for the longest video allowed; below the task's soft time limit, so a
# stuck encode ends as `failed`, not as a killed task.
ENCODE_TIMEOUT_S = 60 + 3 * settings.VIDEO_MAX_DURATION_SECONDS
RENDITION_MAX_SIDE = 1920
POSTER_MAX_SIDE = 1280


class VideoProcessingError(Exception):
    """ffmpeg could not make what the video needs; the item is marked failed."""


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
