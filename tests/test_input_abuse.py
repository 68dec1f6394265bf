"""Hostile input: oversized, nested, malformed and polyglot bodies, markup and SQL in text.

Already proven elsewhere and not repeated here:
- `tests/test_body_limit.py`: 413 in the contract's shape before the body is read, under ASGI
  and WSGI, with and without Content-Length (chunked), and per-path limits.
- `tests/test_pagination.py`: a `page_size` over 50 is capped, not refused.
- `listings/tests/test_media_api.py`: a listing photo named `../../etc/passwd.jpg` is stored
  under a generated name; photos are re-encoded without EXIF.
"""

import io
import threading
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import LazySettings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageFile
from PIL.PngImagePlugin import PngInfo

from accounts import images
from accounts.models import Role, User
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from business.models import Business
from business.tests.factories import BusinessFactory, MembershipFactory
from chat.models import Message, Thread
from listings.models import Listing, ListingMedia
from listings.tests.conftest import CAR, client_for
from marketplace.asgi import application
from tests.helpers import assert_error, flat_png

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
LISTINGS = "/api/v1/listings/"
BUSINESS = "/api/v1/business/"
THREADS = "/api/v1/chat/threads/"
OTP_REQUEST = "/api/v1/auth/otp/request/"


SCRIPT = "<script>alert('x')</script>"
SQL = "'; DROP TABLE listings_listing; --"
HOSTILE = f"{SCRIPT} {SQL}"


@pytest.fixture
def user() -> User:
    return UserFactory()


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def listing_of(user: User) -> Listing:
    response = client_for(user).post(LISTINGS, CAR, format="json")
    assert response.status_code == 201, response.content
    return Listing.objects.get(pk=response.json()["id"])


# --- Size ------------------------------------------------------------------------------------


def test_a_json_body_one_byte_over_the_limit_is_413_through_django(
    user: User, settings: LazySettings
) -> None:
    body = b'{"title": "' + b"a" * (settings.REQUEST_BODY_MAX_BYTES - 12) + b'"}'
    assert len(body) == settings.REQUEST_BODY_MAX_BYTES + 1

    for method in ("post", "patch"):
        path = LISTINGS if method == "post" else ME
        response = getattr(client_for(user), method)(path, body, content_type="application/json")
        assert_error(response, 413, "payload_too_large")


# --- Malformed JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", [nested(10_000), "[" * 10_000 + "]" * 10_000], ids=["objects", "arrays"]
)
@pytest.mark.parametrize(("method", "path"), [("post", LISTINGS), ("patch", ME)])
def test_json_nested_10000_levels_deep_is_a_400(
    user: User, body: str, method: str, path: str
) -> None:
    response = getattr(client_for(user), method)(path, body, content_type="application/json")

    assert_error(response, 400, "invalid")


def test_deep_json_is_a_400_on_a_public_endpoint_and_a_json_only_view(user: User) -> None:
    assert_error(
        client_for().post(OTP_REQUEST, nested(10_000), content_type="application/json"),
        400,
        "invalid",
    )
    listing = listing_of(user)
    media = ListingMedia.objects.create(listing=listing, kind="image", file="x.jpg")
    item = f"{LISTINGS}{listing.pk}/media/{media.pk}/"

    response = client_for(user).patch(item, nested(10_000), content_type="application/json")

    assert_error(response, 400, "invalid")


@pytest.mark.parametrize(
    "body",
    [b'{"display_name": "\xff\xfe"}', b'{"display_name": "\xc3\x28"}', b"\xed\xa0\x80"],
    ids=["bom-bytes", "bad-continuation", "surrogate"],
)
def test_invalid_utf8_is_a_400(user: User, body: bytes) -> None:
    response = client_for(user).patch(ME, body, content_type="application/json")

    assert_error(response, 400, "invalid")
    user.refresh_from_db()
    assert user.display_name != ""


@pytest.mark.parametrize("size", ["51", "100000", "9" * 40])
def test_a_huge_page_size_is_capped_on_every_list(user: User, size: str) -> None:
    for path in (f"{LISTINGS}?page_size={size}", f"{LISTINGS}feed/?page_size={size}"):
        response = client_for(user).get(path)
        assert response.status_code == 200, (path, response.content)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_deeply_nested_socket_frame_is_answered_not_fatal() -> None:
    user = await database_sync_to_async(UserFactory)()
    token = (await database_sync_to_async(issue_tokens)(user))["access"]
    communicator = WebsocketCommunicator(application, f"/ws/chat/?token={token}")
    connected, _ = await communicator.connect()
    assert connected

    await communicator.send_to(text_data="[" * 100_000 + "]" * 100_000)

    assert (await communicator.receive_json_from(timeout=2))["type"] == "error"
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=2) == {"type": "pong"}
    await communicator.disconnect()


# --- Markup and SQL in text: stored as sent, escaped in the admin ------------------------------


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None))
    return client


def assert_escaped(page: Any, count: int = 1) -> None:
    text = page.content.decode()
    assert page.status_code == 200
    assert SCRIPT not in text
    assert text.count("&lt;script&gt;alert(") >= count


def test_a_listings_text_fields_keep_markup_and_sql_as_text_escaped_in_the_admin(
    user: User, staff: Client
) -> None:
    body = {
        **CAR,
        "title": f"Camry {SCRIPT}",
        "description": HOSTILE,
        "city": SCRIPT,
        "region": SQL,
        "details": {**CAR["details"], "make": SCRIPT, "model": SQL, "color": SCRIPT},
    }

    response = client_for(user).post(LISTINGS, body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["title"] == f"Camry {SCRIPT}"
    assert data["description"] == HOSTILE
    assert data["details"]["make"] == SCRIPT
    assert data["details"]["model"] == SQL
    listing = Listing.objects.get(pk=data["id"])
    assert listing.description == HOSTILE
    assert Listing.objects.count() == 1  # the table is still there
    assert_escaped(staff.get(f"/admin/listings/listing/{listing.pk}/change/"), count=3)
    assert_escaped(staff.get("/admin/listings/listing/"))


def test_a_profiles_text_fields_keep_markup_as_text_escaped_in_the_admin(
    user: User, staff: Client
) -> None:
    response = client_for(user).patch(ME, {"display_name": SCRIPT, "city": HOSTILE}, format="json")

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.display_name == SCRIPT
    assert user.city == HOSTILE
    assert_escaped(staff.get(f"/admin/accounts/user/{user.pk}/change/"), count=2)
    assert_escaped(staff.get("/admin/accounts/user/"))


def test_a_business_text_fields_keep_markup_as_text_escaped_in_the_admin(
    user: User, staff: Client
) -> None:
    response = client_for(user).post(
        BUSINESS,
        {"name": f"Motors {SCRIPT}", "description": HOSTILE, "city": SCRIPT},
        format="json",
    )

    assert response.status_code == 201, response.content
    business = Business.objects.get(pk=response.json()["id"])
    assert business.description == HOSTILE
    assert_escaped(staff.get(f"/admin/business/business/{business.pk}/change/"), count=3)
    assert_escaped(staff.get("/admin/business/business/"))


def test_a_chat_message_keeps_markup_as_text_escaped_in_the_admin(
    user: User, staff: Client
) -> None:
    seller = UserFactory()
    listing = listing_of(seller)
    Listing.objects.filter(pk=listing.pk).update(status="active", published_at=timezone.now())
    thread = client_for(user).post(THREADS, {"listing_id": str(listing.pk)}, format="json")
    assert thread.status_code in (200, 201), thread.content
    thread_id = thread.json()["id"]

    response = client_for(user).post(
        f"{THREADS}{thread_id}/messages/", {"body": HOSTILE, "client_id": "c-1"}, format="json"
    )

    assert response.status_code == 201, response.content
    message = Message.objects.get(thread_id=thread_id)
    assert message.body == HOSTILE
    assert_escaped(staff.get(f"/admin/chat/message/{message.pk}/change/"))
    assert_escaped(staff.get(f"/admin/chat/thread/{Thread.objects.get().pk}/change/"))


# --- Uploads ----------------------------------------------------------------------------------

# A valid JPEG with HTML and JavaScript after its end-of-image marker (a browser sniffing it as
# HTML would run the script), and a "GIFAR": a GIF with a ZIP (a Java archive) appended.
PAYLOAD = b"<html><script>alert(document.cookie)</script></html>"


def polyglot_jpeg() -> bytes:
    return jpeg() + PAYLOAD


ARCHIVE = b"PK\x03\x04" + b"\x00" * 26 + b"META-INF/MANIFEST.MF" + PAYLOAD + b"PK\x05\x06"


def gifar() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 10)).save(buffer, format="GIF")
    return buffer.getvalue() + ARCHIVE


def jpeg_with_an_archive() -> bytes:
    """The GIFAR trick on a type we accept: a JPEG that is also a ZIP (read from its end)."""
    return jpeg() + ARCHIVE


def png_with_html_in_a_text_chunk() -> bytes:
    info = PngInfo()
    info.add_text("Comment", PAYLOAD.decode())
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 10, 200)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def upload_to(user: User, target: str, content: bytes, name: str) -> tuple[Any, list[str]]:
    """Upload `content` as `name` to a listing's media, the avatar or a business logo; return
    the answer and the storage names of the files kept."""
    file = SimpleUploadedFile(name, content, content_type="image/jpeg")
    client = client_for(user)
    if target == "listing":
        listing = listing_of(user)
        url = f"{LISTINGS}{listing.pk}/media/"
        response = client.post(url, {"kind": "image", "file": file}, format="multipart")
        names = [
            field.name
            for media in ListingMedia.objects.filter(listing=listing)
            for field in (media.file, media.thumbnail)
        ]
    elif target == "avatar":
        response = client.post(f"{ME}avatar/", {"file": file}, format="multipart")
        user.refresh_from_db()
        names = [user.avatar.name] if user.avatar else []
    else:
        business = BusinessFactory(name="Motors", slug=f"m-{user.pk}")
        MembershipFactory(business=business, user=user, role="admin")
        response = client.post(f"{BUSINESS}{business.pk}/logo/", {"file": file}, format="multipart")
        business.refresh_from_db()
        names = [business.logo.name] if business.logo else []
    return response, names


TARGETS = ["listing", "avatar", "logo"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_path_in_the_upload_name_never_reaches_the_storage(user: User, target: str) -> None:
    response, names = upload_to(user, target, jpeg(), "../../etc/passwd.jpg")

    assert response.status_code in (200, 201), response.content
    assert names
    for name in names:
        assert ".." not in name
        assert "passwd" not in name
        assert "etc" not in name.split("/")
        assert default_storage.exists(name)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "content",
    [polyglot_jpeg(), jpeg_with_an_archive(), png_with_html_in_a_text_chunk()],
    ids=["jpeg+html", "jpeg+zip", "png-text-chunk"],
)
def test_a_polyglot_upload_is_stored_as_a_clean_reencoded_image(
    user: User, target: str, content: bytes
) -> None:
    response, names = upload_to(user, target, content, "innocent.jpg")

    assert response.status_code in (200, 201), response.content
    assert names
    for name in names:
        with default_storage.open(name) as stored:
            data = stored.read()
        assert b"<script" not in data
        assert b"PK\x03\x04" not in data
        assert b"META-INF" not in data
        with Image.open(io.BytesIO(data)) as image:
            image.verify()


@pytest.mark.parametrize("target", TARGETS)
def test_a_gifar_is_refused_and_nothing_is_stored(user: User, target: str) -> None:
    # GIF is not among the accepted types: the sniffed bytes decide, not the name.
    response, names = upload_to(user, target, gifar(), "innocent.jpg")

    assert_error(response, 415, "unsupported_media_type")
    assert names == []


# --- Pixels -----------------------------------------------------------------------------------


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The sizes of the pictures whose pixels were decoded."""
    sizes: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def spy(image: ImageFile.ImageFile) -> Any:
        sizes.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return sizes


@pytest.mark.parametrize("target", TARGETS)
def test_a_small_png_claiming_a_hundred_million_pixels_is_refused_undecoded(
    user: User, target: str, decoded: list[tuple[int, int]]
) -> None:
    content = flat_png(9990, 9990)
    assert len(content) < 100_000  # the premise: small on disk, just under Pillow's error

    response, names = upload_to(user, target, content, "flat.png")

    error = assert_error(response, 400, "image_too_large")
    assert error["max_pixels"] < 9990 * 9990
    assert names == []
    assert decoded == []


@pytest.mark.parametrize("target", TARGETS)
def test_a_picture_pillow_warns_about_is_refused(
    user: User, target: str, monkeypatch: pytest.MonkeyPatch, decoded: list[tuple[int, int]]
) -> None:
    # Below every cap of ours, above Pillow's warning threshold and below its error.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)

    response, names = upload_to(user, target, jpeg((64, 48)), "photo.jpg")

    assert_error(response, 400, "image_too_large")
    assert names == []
    assert decoded == []


@pytest.mark.parametrize("target", TARGETS)
def test_pictures_wait_for_a_decoding_slot_and_are_told_to_retry_without_one(
    user: User, target: str, monkeypatch: pytest.MonkeyPatch, decoded: list[tuple[int, int]]
) -> None:
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(images, "_decoding", slots)
    monkeypatch.setattr(images, "DECODE_WAIT_S", 0.05)
    assert slots.acquire(blocking=False)  # another upload is being decoded

    try:
        response, names = upload_to(user, target, jpeg(), "photo.jpg")
    finally:
        slots.release()  # a ValueError had the refused upload given back a slot it never took

    assert_error(response, 503, "service_unavailable")
    assert names == []
    assert decoded == []


def test_the_decoding_slots_are_the_setting(settings: LazySettings) -> None:
    # One BoundedSemaphore per process: it refuses a release beyond its initial value.
    taken = [images._decoding.acquire(blocking=False) for _ in range(10)]
    try:
        assert taken.count(True) == settings.IMAGE_DECODE_CONCURRENCY
    finally:
        for _ in range(taken.count(True)):
            images._decoding.release()
