"""Decoding uploaded pictures safely, and re-encoding avatars and business logos: the real type
sniffed from the bytes, EXIF, GPS and comments dropped by writing a fresh WebP.

It lives in the lowest app so every app above can use it (`business` cannot import
`listings`, whose media pipeline does more: thumbnails, panoramas, videos).

A picture's size is checked from its header before any pixel is decoded: a small PNG of one
flat colour can claim a hundred million pixels, and decoding it takes gigabytes.
"""

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import DomainError, ServiceUnavailable

from .exceptions import ImageTooLarge, PayloadTooLarge, UnsupportedMedia

PICTURE_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# Above the largest picture any upload may have (the callers' caps), far below what a
# decompression bomb needs; a picture Pillow warns about is refused, not decoded.
Image.MAX_IMAGE_PIXELS = 50_000_000
warnings.simplefilter("error", Image.DecompressionBombWarning)
# An avatar or a logo: a 25 MP photo is far more than either shows.
PICTURE_MAX_PIXELS = 25_000_000
# How long an upload waits for a decoding slot before it is told to try again.
DECODE_WAIT_S = 30

_decoding = threading.BoundedSemaphore(settings.IMAGE_DECODE_CONCURRENCY)


@contextmanager
def open_picture(
    upload: UploadedFile, *, max_pixels: int, unsupported: type[DomainError] = UnsupportedMedia
) -> Iterator[Image.Image]:
    """The upload opened by Pillow (JPEG, PNG or WebP), not yet decoded, holding one of the
    process's IMAGE_DECODE_CONCURRENCY decoding slots until the block ends.

    ImageTooLarge (400) above `max_pixels`, told from the header; `unsupported` (415) for
    anything else or bytes that do not decode; ServiceUnavailable (503) when no slot frees up.
    """
    if not _decoding.acquire(timeout=DECODE_WAIT_S):
        raise ServiceUnavailable
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image.format not in PICTURE_FORMATS:
                raise unsupported
            if image.width * image.height > max_pixels:
                raise ImageTooLarge(extra={"max_pixels": max_pixels})
            yield image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(extra={"max_pixels": max_pixels}) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise unsupported from None
    finally:
        _decoding.release()


def reencode_picture(
    upload: UploadedFile, *, max_bytes: int, max_side: int, max_pixels: int = PICTURE_MAX_PIXELS
) -> bytes:
    """The upload as WebP no larger than `max_side` on a side, with nothing but its pixels.
    PayloadTooLarge (413) above `max_bytes`; ImageTooLarge (400) above `max_pixels`;
    UnsupportedMedia (415) for anything but JPEG, PNG or WebP."""
    if upload.size is None or upload.size > max_bytes:
        raise PayloadTooLarge
    with open_picture(upload, max_pixels=max_pixels) as image:
        image.draft("RGB", (max_side, max_side))  # a large JPEG decodes straight at a fraction
        image.load()
        picture = ImageOps.exif_transpose(image).convert("RGB")
        picture.thumbnail((max_side, max_side))
    encoded = io.BytesIO()
    # A fresh file from the pixels alone: no EXIF, GPS, XMP or comment.
    picture.info = {}
    picture.save(encoded, format="WEBP", quality=85)
    return encoded.getvalue()
