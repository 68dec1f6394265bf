"""Re-encoding an uploaded picture (avatars, business logos): the real type sniffed from the
bytes, EXIF and GPS dropped by writing a fresh WebP.

It lives in the lowest app so every app above can use it (`business` cannot import
`listings`, whose media pipeline does more: thumbnails, panoramas, videos).
"""

import io

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import PayloadTooLarge, UnsupportedMedia

PICTURE_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# Far above any phone photo, far below what a decompression bomb needs.
Image.MAX_IMAGE_PIXELS = 50_000_000


def reencode_picture(upload: UploadedFile, *, max_bytes: int, max_side: int) -> bytes:
    """The upload as WebP no larger than `max_side` on a side. PayloadTooLarge (413) above
    `max_bytes`; UnsupportedMedia (415) for anything but JPEG, PNG or WebP."""
    if upload.size is None or upload.size > max_bytes:
        raise PayloadTooLarge
    try:
        with Image.open(upload) as image:
            if image.format not in PICTURE_FORMATS:
                raise UnsupportedMedia
            image.load()
            picture = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise UnsupportedMedia from None
    picture.thumbnail((max_side, max_side))
    encoded = io.BytesIO()
    picture.save(encoded, format="WEBP", quality=85)  # a fresh file: EXIF and GPS are gone
    return encoded.getvalue()
