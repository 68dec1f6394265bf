"""Photos and panoramas, decoded and re-encoded as JPEG: no EXIF, no GPS, orientation applied,
a thumbnail beside each."""

import io
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageCms, ImageOps

from accounts.images import open_picture

from ..exceptions import UnsupportedMediaType
from ..models import MediaKind

# The longest side kept: a photo fills a phone screen; a 360° panorama keeps its detail.
IMAGE_MAX_SIDE: dict[str, int] = {MediaKind.IMAGE: 2048, MediaKind.PANORAMA: 8192}
# The most pixels an upload may have, read from its header before decoding.
IMAGE_MAX_PIXELS: dict[str, int] = {MediaKind.IMAGE: 40_000_000, MediaKind.PANORAMA: 40_000_000}
THUMBNAIL_SIDE = 480
# Far above a real colour profile (sRGB is under 4 KB, a camera's a few hundred KB).
ICC_MAX_BYTES = 1_000_000
JPEG_QUALITY = 85


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
