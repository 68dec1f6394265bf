"""A listing's photos and panoramas through the API: upload, reorder, delete, and who may.

Videos, their sniffing and their background processing are in test_video_processing.py.
"""

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import LazySettings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageFile

from accounts.models import AuditEntry
from business.models import Business
from core.body_limit import body_limit_for
from listings.models import Listing, ListingMedia
from listings.tests.conftest import client_for, create
from tests.helpers import assert_error, flat_png, run_concurrently

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"^listings/(?P<listing>[0-9a-f-]{36})/[0-9a-f]{32}\.jpg$")


def picture(fmt: str = "JPEG", *, size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    buffer = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, size, (200, 30, 30)).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def noise(side: int = 64) -> bytes:
    """A PNG that does not compress: about side * side * 3 bytes."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def media_url(listing_id: Any, media_id: Any = None) -> str:
    item = f"{media_id}/" if media_id else ""
    return f"/api/v1/listings/{listing_id}/media/{item}"


def upload(
    user: Any,
    listing_id: Any,
    content: bytes | None = None,
    *,
    kind: str | None = "image",
    name: str = "photo.jpg",
    **fields: Any,
) -> Any:
    data: dict[str, Any] = {**fields}
    if kind is not None:
        data["kind"] = kind
    if content is not None:
        # A browser's guess, which the server must ignore.
        data["file"] = SimpleUploadedFile(name, content, content_type="image/jpeg")
    return client_for(user).post(media_url(listing_id), data, format="multipart")


def move(user: Any, listing_id: Any, media_id: Any, position: Any) -> Any:
    return client_for(user).patch(
        media_url(listing_id, media_id), {"position": position}, format="json"
    )


def delete(user: Any, listing_id: Any, media_id: Any) -> Any:
    return client_for(user).delete(media_url(listing_id, media_id))


def order(user: Any, listing_id: Any) -> list[tuple[str, int]]:
    media = client_for(user).get(f"/api/v1/listings/{listing_id}/").json()["media"]
    return [(item["id"], item["position"]) for item in media]


def stored(media_id: Any) -> ListingMedia:
    return ListingMedia.objects.get(pk=media_id)


def open_stored(field: Any) -> Image.Image:
    return Image.open(default_storage.open(field.name))


def seed(listing_id: Any, kind: str, count: int) -> None:
    """Items straight in the database, to reach a limit without uploading them."""
    ListingMedia.objects.bulk_create(
        ListingMedia(listing_id=listing_id, kind=kind, file=f"listings/{listing_id}/{i}.jpg")
        for i in range(count)
    )


@pytest.fixture
def listing_id(author: Any) -> str:
    return str(create(author).json()["id"])


# --- Uploading a photo ------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp")])
def test_a_photo_is_stored_reencoded_as_jpeg_with_a_thumbnail_and_absolute_urls(
    author: Any, listing_id: str, fmt: str, name: str
) -> None:
    response = upload(author, listing_id, picture(fmt), name=name)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "kind",
        "url",
        "poster_url",
        "thumbnail_url",
        "duration_s",
        "position",
        "processing",
    }
    assert body["processing"] == "ready"
    assert body["kind"] == "image"
    assert body["position"] == 0
    assert body["poster_url"] is None
    assert body["duration_s"] is None
    media = stored(body["id"])
    assert body["url"] == f"http://testserver{media.file.url}"
    assert body["thumbnail_url"] == f"http://testserver{media.thumbnail.url}"
    for field in (media.file, media.thumbnail):
        assert STORED_NAME.match(field.name)
        with open_stored(field) as image:
            assert image.format == "JPEG"
    assert order(author, listing_id) == [(body["id"], 0)]


def test_the_uploaders_file_name_never_reaches_the_storage(author: Any, listing_id: str) -> None:
    response = upload(author, listing_id, picture(), name="../../etc/passwd.jpg")

    assert response.status_code == 201, response.content
    media = stored(response.json()["id"])
    for field in (media.file, media.thumbnail):
        match = STORED_NAME.match(field.name)
        assert match, field.name
        assert match["listing"] == listing_id
    assert "passwd" not in media.file.name


def test_a_photo_keeps_no_exif_or_location_and_is_turned_upright(
    author: Any, listing_id: str
) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyPhone"
    exif[ExifTags.Base.Orientation] = 6  # taken with the phone turned: rotate 90° to show
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (42.0, 52.0, 17.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (74.0, 35.0, 0.0),
        }
    )
    content = picture("JPEG", size=(64, 48), exif=exif)
    with Image.open(io.BytesIO(content)) as original:  # the test's own premise
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    response = upload(author, listing_id, content)

    assert response.status_code == 201, response.content
    media = stored(response.json()["id"])
    for field in (media.file, media.thumbnail):
        raw = default_storage.open(field.name).read()
        assert b"SpyPhone" not in raw
        assert b"Exif" not in raw
        with open_stored(field) as image:
            assert len(image.getexif()) == 0
    with open_stored(media.file) as image:
        assert image.size == (48, 64)


def test_a_photo_keeps_its_colour_profile_and_no_comment(author: Any, listing_id: str) -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    comment = b"<script>alert(document.cookie)</script>"
    content = picture("JPEG", size=(64, 48), icc_profile=icc, comment=comment)
    with Image.open(io.BytesIO(content)) as original:  # the test's own premise
        assert original.info["comment"] == comment

    response = upload(author, listing_id, content)

    assert response.status_code == 201, response.content
    media = stored(response.json()["id"])
    for field in (media.file, media.thumbnail):
        raw = default_storage.open(field.name).read()
        assert b"<script" not in raw
        with open_stored(field) as image:
            assert "comment" not in image.info
            assert "exif" not in image.info
            assert image.info["icc_profile"] == icc


def test_bytes_posing_as_a_colour_profile_are_not_kept(author: Any, listing_id: str) -> None:
    content = picture("JPEG", size=(64, 48), icc_profile=b"hidden-payload-" * 20)

    response = upload(author, listing_id, content)

    assert response.status_code == 201, response.content
    media = stored(response.json()["id"])
    for field in (media.file, media.thumbnail):
        assert b"hidden-payload" not in default_storage.open(field.name).read()
        with open_stored(field) as image:
            assert "icc_profile" not in image.info


@pytest.mark.parametrize("kind", ["image", "panorama"])
def test_a_png_of_too_many_pixels_is_refused_from_its_header(
    author: Any, listing_id: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def decode(image: Any) -> None:
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)

    response = upload(author, listing_id, flat_png(9990, 9990), kind=kind, name="flat.png")

    error = assert_error(response, 400, "image_too_large")
    assert error["max_pixels"] == 40_000_000
    assert not ListingMedia.objects.exists()


def test_a_big_photo_is_scaled_to_2048_and_its_thumbnail_to_480(
    author: Any, listing_id: str
) -> None:
    response = upload(author, listing_id, picture("JPEG", size=(6000, 4000)))

    assert response.status_code == 201, response.content
    media = stored(response.json()["id"])
    with open_stored(media.file) as image:
        assert image.size == (2048, 1365)
    with open_stored(media.thumbnail) as image:
        assert image.size == (480, 320)


def test_a_panorama_keeps_its_resolution_up_to_8192_wide(author: Any, listing_id: str) -> None:
    small = upload(author, listing_id, picture("JPEG", size=(4000, 2000)), kind="panorama")
    large = upload(author, listing_id, picture("JPEG", size=(8400, 4200)), kind="panorama")

    assert small.status_code == large.status_code == 201
    assert small.json()["kind"] == "panorama"
    with open_stored(stored(small.json()["id"]).file) as image:
        assert image.size == (4000, 2000)
    with open_stored(stored(large.json()["id"]).file) as image:
        assert image.size == (8192, 4096)
    with open_stored(stored(large.json()["id"]).thumbnail) as image:
        assert image.size == (480, 240)


def test_a_transparent_png_gets_a_white_background(author: Any, listing_id: str) -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (32, 32), (0, 0, 0, 0)).save(buffer, format="PNG")

    response = upload(author, listing_id, buffer.getvalue(), name="logo.png")

    assert response.status_code == 201, response.content
    with open_stored(stored(response.json()["id"]).file) as image:
        red, green, blue = image.convert("RGB").getpixel((16, 16))
        assert min(red, green, blue) > 245


def test_adding_media_is_audited(author: Any, listing_id: str) -> None:
    media_id = upload(author, listing_id, picture()).json()["id"]

    entry = AuditEntry.objects.get(action="listing.media_added", target_id=listing_id)
    assert entry.actor_id == author.pk
    assert entry.data == {"media_id": media_id, "kind": "image"}


# --- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "kind"),
    [
        (b"just some words, not a picture\n" * 10, "photo.jpg", "image"),
        (b"#!/bin/sh\necho not a video\n" * 10, "clip.mp4", "video"),
        (b"<html><script>alert(1)</script></html>", "pano.webp", "panorama"),
        (picture("GIF"), "anim.gif", "image"),
        (picture("PNG"), "clip.mp4", "video"),
        (picture("JPEG"), "clip.mov", "video"),
        (picture("JPEG")[:200], "cut.jpg", "image"),
    ],
    ids=[
        "text-as-jpg",
        "script-as-mp4",
        "html-as-webp",
        "gif",
        "png-as-video",
        "jpeg-as-video",
        "truncated",
    ],
)
def test_the_real_type_is_sniffed_from_the_bytes(
    author: Any, listing_id: str, content: bytes, name: str, kind: str
) -> None:
    response = upload(author, listing_id, content, name=name, kind=kind)

    assert_error(response, 415, "unsupported_media_type")
    assert not ListingMedia.objects.filter(listing_id=listing_id).exists()


def test_a_photo_over_the_size_limit_is_too_large(
    author: Any, listing_id: str, settings: LazySettings
) -> None:
    settings.MEDIA_IMAGE_MAX_BYTES = 4 * 1024
    content = noise(64)
    assert len(content) > 4 * 1024

    assert_error(upload(author, listing_id, content, name="big.png"), 413, "payload_too_large")
    assert_error(
        upload(author, listing_id, content, name="big.png", kind="panorama"),
        413,
        "payload_too_large",
    )
    assert not ListingMedia.objects.filter(listing_id=listing_id).exists()
    assert not (Path(settings.MEDIA_ROOT) / "listings").exists()


def test_a_video_over_the_size_limit_is_too_large(
    author: Any, listing_id: str, settings: LazySettings
) -> None:
    settings.MEDIA_VIDEO_MAX_BYTES = 100

    response = upload(author, listing_id, b"\x00" * 101, name="clip.mp4", kind="video")

    assert_error(response, 413, "payload_too_large")


def test_the_media_path_admits_bodies_of_a_200_mb_video_and_the_item_path_does_not(
    settings: LazySettings,
) -> None:
    listing = "0b7e3c4a-1f2d-4c5b-9a8e-7d6c5b4a3f2e"

    assert body_limit_for(f"/api/v1/listings/{listing}/media/") == 201 * 1024 * 1024
    assert (
        body_limit_for(f"/api/v1/listings/{listing}/media/{listing}/")
        == settings.REQUEST_BODY_MAX_BYTES
    )


@pytest.mark.parametrize(
    ("kind", "held", "limit"),
    [("image", 20, 20), ("panorama", 5, 5), ("video", 1, 1)],
)
def test_each_kind_has_its_limit(
    author: Any, listing_id: str, kind: str, held: int, limit: int
) -> None:
    seed(listing_id, kind, held)

    response = upload(author, listing_id, picture(), kind=kind)

    error = assert_error(response, 400, "media_limit_reached")
    assert "fields" not in error
    assert ListingMedia.objects.filter(listing_id=listing_id, kind=kind).count() == limit


def test_the_limits_are_per_kind(author: Any, listing_id: str) -> None:
    seed(listing_id, "panorama", 5)
    seed(listing_id, "video", 1)

    response = upload(author, listing_id, picture(), kind="image")

    assert response.status_code == 201, response.content
    assert response.json()["position"] == 6


@pytest.mark.parametrize(
    ("kind", "content", "fields", "field"),
    [
        ("audio", picture(), {}, "kind"),
        (None, picture(), {}, "kind"),
        ("image", None, {}, "file"),
        ("image", b"", {}, "file"),
        ("image", picture(), {"position": -1}, "position"),
        ("image", picture(), {"position": "first"}, "position"),
    ],
    ids=["unknown-kind", "no-kind", "no-file", "empty-file", "negative-position", "text-position"],
)
def test_invalid_uploads_name_the_field(
    author: Any,
    listing_id: str,
    kind: str | None,
    content: bytes | None,
    fields: dict[str, Any],
    field: str,
) -> None:
    response = upload(author, listing_id, content, kind=kind, **fields)

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {field}


def test_an_upload_must_be_multipart(author: Any, listing_id: str) -> None:
    response = client_for(author).post(media_url(listing_id), {"kind": "image"}, format="json")

    assert_error(response, 415, "unsupported_media_type")


# --- Who may ----------------------------------------------------------------------------------


def test_nobody_off_the_seller_side_may_add_move_or_delete(
    author: Any, stranger: Any, moderator: Any, listing_id: str
) -> None:
    media_id = upload(author, listing_id, picture()).json()["id"]
    Listing.objects.filter(pk=listing_id).update(status="active")

    for intruder in (stranger, moderator):
        assert_error(upload(intruder, listing_id, picture()), 404, "not_found")
        assert_error(move(intruder, listing_id, media_id, 0), 404, "not_found")
        assert_error(delete(intruder, listing_id, media_id), 404, "not_found")
    assert_error(upload(None, listing_id, picture()), 401, "not_authenticated")
    assert_error(move(None, listing_id, media_id, 0), 401, "not_authenticated")
    assert_error(delete(None, listing_id, media_id), 401, "not_authenticated")
    assert ListingMedia.objects.filter(listing_id=listing_id).count() == 1


def test_the_business_team_shares_a_business_listings_media(
    dealer: Business, dealer_admin: Any, dealer_seller: Any, stranger: Any
) -> None:
    listing_id = create(dealer_seller, business_id=str(dealer.pk)).json()["id"]

    added = upload(dealer_admin, listing_id, picture())

    assert added.status_code == 201, added.content
    assert move(dealer_seller, listing_id, added.json()["id"], 0).status_code == 200
    assert_error(upload(stranger, listing_id, picture()), 404, "not_found")


def test_the_media_of_another_listing_is_not_found(author: Any, listing_id: str) -> None:
    other_listing = create(author).json()["id"]
    other_media = upload(author, other_listing, picture()).json()["id"]

    assert_error(move(author, listing_id, other_media, 0), 404, "not_found")
    assert_error(delete(author, listing_id, other_media), 404, "not_found")
    assert ListingMedia.objects.filter(pk=other_media).exists()


@pytest.mark.parametrize("media_id", ["0b7e3c4a-1f2d-4c5b-9a8e-7d6c5b4a3f2e", "not-a-uuid"])
def test_an_unknown_item_is_not_found(author: Any, listing_id: str, media_id: str) -> None:
    assert_error(move(author, listing_id, media_id, 0), 404, "not_found")
    assert_error(delete(author, listing_id, media_id), 404, "not_found")


def test_an_archived_or_unknown_listing_is_not_found(author: Any, listing_id: str) -> None:
    Listing.objects.filter(pk=listing_id).update(status="archived")

    assert_error(upload(author, listing_id, picture()), 404, "not_found")
    assert_error(
        upload(author, "0b7e3c4a-1f2d-4c5b-9a8e-7d6c5b4a3f2e", picture()), 404, "not_found"
    )
    assert_error(upload(author, "not-a-uuid", picture()), 404, "not_found")


# --- Order ------------------------------------------------------------------------------------


def add_three(author: Any, listing_id: str) -> list[str]:
    return [upload(author, listing_id, picture()).json()["id"] for _ in range(3)]


def test_uploads_go_last_unless_a_position_is_given(author: Any, listing_id: str) -> None:
    a, b, c = add_three(author, listing_id)

    first = upload(author, listing_id, picture(), position=0).json()["id"]
    second = upload(author, listing_id, picture(), position=2).json()["id"]
    last = upload(author, listing_id, picture(), position=99).json()["id"]

    assert order(author, listing_id) == [
        (first, 0),
        (a, 1),
        (second, 2),
        (b, 3),
        (c, 4),
        (last, 5),
    ]


def test_moving_an_item_shifts_the_others(author: Any, listing_id: str) -> None:
    a, b, c = add_three(author, listing_id)

    response = move(author, listing_id, c, 0)

    assert response.status_code == 200, response.content
    assert response.json()["id"] == c
    assert response.json()["position"] == 0
    assert order(author, listing_id) == [(c, 0), (a, 1), (b, 2)]
    assert move(author, listing_id, c, 1).json()["position"] == 1
    assert order(author, listing_id) == [(a, 0), (c, 1), (b, 2)]
    assert move(author, listing_id, a, 42).json()["position"] == 2
    assert order(author, listing_id) == [(c, 0), (b, 1), (a, 2)]
    assert (
        AuditEntry.objects.filter(action="listing.media_moved", target_id=listing_id).count() == 3
    )


@pytest.mark.parametrize("body", [{}, {"position": -1}, {"position": "top"}, {"position": None}])
def test_a_move_needs_a_valid_position(author: Any, listing_id: str, body: dict) -> None:
    media_id = upload(author, listing_id, picture()).json()["id"]

    response = client_for(author).patch(media_url(listing_id, media_id), body, format="json")

    assert set(assert_error(response, 400, "invalid")["fields"]) == {"position"}


def test_deleting_an_item_removes_its_files_after_commit_and_closes_the_gap(
    author: Any, listing_id: str, django_capture_on_commit_callbacks: Any
) -> None:
    a, b, c = add_three(author, listing_id)
    media = stored(b)
    names = [media.file.name, media.thumbnail.name]
    assert all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = delete(author, listing_id, b)
    assert response.status_code == 204
    assert all(default_storage.exists(name) for name in names)  # not before the commit
    for callback in callbacks:
        callback()

    assert not any(default_storage.exists(name) for name in names)
    assert order(author, listing_id) == [(a, 0), (c, 1)]
    assert AuditEntry.objects.filter(action="listing.media_deleted", target_id=listing_id).exists()


# --- With the listing -------------------------------------------------------------------------


def test_an_uploaded_photo_lets_the_listing_be_submitted(author: Any, listing_id: str) -> None:
    submit = f"/api/v1/listings/{listing_id}/submit/"
    assert_error(client_for(author).post(submit), 400, "media_required")
    upload(author, listing_id, picture(), kind="panorama")
    assert_error(client_for(author).post(submit), 400, "media_required")  # not a photo

    upload(author, listing_id, picture())
    response = client_for(author).post(submit)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending_review"
    assert [item["kind"] for item in response.json()["media"]] == ["panorama", "image"]
    assert all(item["url"].startswith("http://testserver/") for item in response.json()["media"])


def test_new_media_sends_an_active_listing_back_to_review(author: Any, listing_id: str) -> None:
    Listing.objects.filter(pk=listing_id).update(status="active")

    assert upload(author, listing_id, picture()).status_code == 201

    assert Listing.objects.get(pk=listing_id).status == "pending_review"


def test_the_schema_types_the_upload_and_its_answer(client: Any) -> None:
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/listings/{listing_id}/media/"]["post"]

    content = operation["requestBody"]["content"]
    assert list(content) == ["multipart/form-data"]
    upload_schema = schema["components"]["schemas"][
        content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    ]
    assert upload_schema["properties"]["file"]["format"] == "binary"
    assert set(upload_schema["required"]) == {"file", "kind"}
    answer = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/Media"}
    item = schema["paths"]["/api/v1/listings/{listing_id}/media/{media_id}/"]
    assert set(item) >= {"patch", "delete"}


# --- Under concurrency ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_simultaneous_uploads_never_pass_the_limit(author: Any, settings: LazySettings) -> None:
    listing_id = create(author).json()["id"]
    content = picture()

    statuses = run_concurrently(
        8, lambda _i: upload(author, listing_id, content, kind="panorama").status_code
    )

    assert sorted(statuses) == [201] * 5 + [400] * 3
    positions = ListingMedia.objects.filter(listing_id=listing_id).values_list(
        "position", flat=True
    )
    assert sorted(positions) == [0, 1, 2, 3, 4]
    # The refused uploads' files were deleted: a picture and a thumbnail for each of the five.
    assert len(list((Path(settings.MEDIA_ROOT) / "listings" / listing_id).iterdir())) == 10
