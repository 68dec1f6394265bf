"""The demo listings' media: a generated photo with the listing's title, and a short video when
ffmpeg is there."""

import functools
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

PALETTE = [(214, 69, 65), (52, 120, 246), (46, 160, 67), (240, 173, 78), (123, 97, 255)]


def demo_image(index: int, title: str, *, width: int = 720) -> SimpleUploadedFile:
    """A small photo stand-in, 3:4: a colour field with a few shapes, as a JPEG."""
    height = width * 4 // 3
    image = Image.new("RGB", (width, height), PALETTE[index % len(PALETTE)])
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 12, height * 5 // 8, width * 11 // 12, height * 9 // 10), fill="white")
    draw.ellipse(
        (width * 5 // 18, width * 5 // 18, width * 13 // 18, width * 13 // 18), fill="white"
    )
    draw.text((width // 9, height * 2 // 3), title[:40], fill="black")
    data = io.BytesIO()
    image.save(data, format="JPEG", quality=80)
    return SimpleUploadedFile(f"demo-{index}.jpg", data.getvalue(), content_type="image/jpeg")


@functools.cache
def _demo_video_bytes() -> bytes | None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "demo.mp4"
        subprocess.run(  # noqa: S603 - fixed arguments, no user input
            [
                ffmpeg,
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=360x640:rate=24",
                "-t",
                "2",
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
                "-y",
                str(target),
            ],
            check=True,
            timeout=60,
        )
        return target.read_bytes()


def demo_video() -> SimpleUploadedFile | None:
    """Two seconds of test pattern as H.264 MP4, or None without ffmpeg; encoded once per
    process, every listing with a video gets a copy."""
    data = _demo_video_bytes()
    if data is None:
        return None
    return SimpleUploadedFile("demo.mp4", data, content_type="video/mp4")
