"""What ffprobe says about a video, and the limits an upload must stay within.

The container is sniffed from the file's first bytes; ffprobe then reads it with that demuxer
forced, under a timeout.
"""

import json
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"
# The upload waits for ffprobe: a well-formed file answers in well under a second.
PROBE_TIMEOUT_S = 10
# ISO-BMFF brands of still images (HEIF, AVIF): an `ftyp` box, but not a video.
STILL_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif"})
# Which ffmpeg demuxer reads each container: forced, so ffmpeg never guesses a format (an HLS
# playlist, a concat script) from bytes that merely follow a valid header.
DEMUXERS = {"mp4": "mov", "mov": "mov", "webm": "matroska"}


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
