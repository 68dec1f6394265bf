"""The caller's own profile: GET/PATCH/DELETE /me/, the avatar, and changing the phone."""

import io
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.conf import LazySettings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from accounts import hooks, sms
from accounts.exceptions import LastAdmin
from accounts.models import (
    AuditEntry,
    Consent,
    ConsentKind,
    Device,
    LoginSession,
    PhoneCode,
    User,
)
from accounts.services.consents import RequestMeta, consent_record
from accounts.services.otp import device_hash
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from tests.helpers import assert_error

from .conftest import (
    AVATAR,
    CONSENT,
    ME,
    OTHER_PHONE,
    PHONE,
    PHONE_CHANGE,
    PHONE_VERIFY,
    REFRESH,
    bearer,
    delete_resend_key,
    last_code,
)

pytestmark = pytest.mark.django_db

NEW_PHONE = "+996555987654"


def picture(fmt: str = "JPEG", *, size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    buffer = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, size, (200, 30, 30)).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def noise(fmt: str = "PNG", side: int = 128) -> bytes:
    """An image that does not compress: its file is about side * side * 3 bytes."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(client: APIClient, content: bytes, name: str = "me.jpg", **extra: Any) -> Any:
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(AVATAR, {"file": file}, format="multipart", **extra)


def stored_avatar(user: User) -> Path:
    user.refresh_from_db()
    assert user.avatar
    return Path(user.avatar.path)


# --- GET /me/ --------------------------------------------------------------------------------


def test_the_profile_has_every_field_of_the_contract(user: User, me_client: APIClient) -> None:
    response = me_client.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "id",
        "phone",
        "display_name",
        "avatar_url",
        "role",
        "city",
        "language",
        "created_at",
        "consent_required",
        "listing_quota",
        "businesses",
    }
    assert body["id"] == str(user.pk)
    assert body["phone"] == user.phone
    assert body["display_name"] == user.display_name
    assert body["avatar_url"] is None
    assert body["role"] == "user"
    assert body["city"] == ""
    assert body["language"] == "ru"
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert body["listing_quota"] == {"used": 0, "limit": 5}
    assert body["businesses"] == []
    assert isinstance(body["consent_required"], bool)


def test_the_quota_and_businesses_come_from_the_apps_that_own_them(
    user: User, me_client: APIClient, restore_hooks: None
) -> None:
    business = {"id": "5f0c6c1e-6d7b-4e8a-9d7e-0c6f3b9a1a11", "name": "Ak-Keme", "role": "seller"}
    hooks.register_listing_quota(lambda u: {"used": 3, "limit": 5})
    hooks.register_businesses(lambda u: [business] if u == user else [])

    body = me_client.get(ME).json()

    assert body["listing_quota"] == {"used": 3, "limit": 5}
    assert body["businesses"] == [business]


def test_reading_the_profile_costs_a_fixed_number_of_queries(
    user: User, me_client: APIClient, django_assert_num_queries: Any
) -> None:
    # The user (authentication), the consent states, the listing quota (from `listings`: the
    # businesses sharing it, then the count) and the businesses (from `business`), however
    # much each holds.
    with django_assert_num_queries(5):
        me_client.get(ME)
    for _ in range(5):
        for kind in ConsentKind:
            consent_record(user=user, kind=kind.value, accepted=True, meta=RequestMeta(None, ""))

    with django_assert_num_queries(5):
        assert me_client.get(ME).status_code == 200


@pytest.mark.parametrize("method", ["put", "post"])
def test_other_methods_on_the_profile_are_not_allowed(me_client: APIClient, method: str) -> None:
    response = getattr(me_client, method)(ME, {"display_name": "X"}, format="json")

    assert_error(response, 405, "method_not_allowed")


def test_the_profile_needs_a_logged_in_caller() -> None:
    assert_error(APIClient().get(ME), 401, "not_authenticated")


# --- PATCH /me/ ------------------------------------------------------------------------------


def test_the_caller_updates_name_city_and_language_trimmed(
    user: User, me_client: APIClient
) -> None:
    response = me_client.patch(
        ME, {"display_name": "  Айбек  ", "city": " Бишкек ", "language": "ky"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["display_name"], body["city"], body["language"]) == ("Айбек", "Бишкек", "ky")
    user.refresh_from_db()
    assert (user.display_name, user.city, user.language) == ("Айбек", "Бишкек", "ky")


def test_a_partial_update_changes_only_what_is_sent(user: User, me_client: APIClient) -> None:
    before = user.display_name

    me_client.patch(ME, {"city": "Ош"}, format="json")

    user.refresh_from_db()
    assert (user.display_name, user.city) == (before, "Ош")


def test_the_longest_name_is_a_hundred_characters(user: User, me_client: APIClient) -> None:
    assert me_client.patch(ME, {"display_name": "a" * 100}, format="json").status_code == 200

    response = me_client.patch(ME, {"display_name": "b" * 101}, format="json")

    assert "display_name" in assert_error(response, 400, "invalid")["fields"]
    user.refresh_from_db()
    assert user.display_name == "a" * 100


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", ""),
        ("display_name", "   "),
        ("display_name", None),
        ("display_name", {"first": "A"}),
        ("city", ""),
        ("city", "c" * 101),
        ("city", ["Bishkek"]),
        ("language", "de"),
        ("language", "RU"),
        ("language", None),
    ],
)
def test_invalid_values_are_refused_field_by_field(
    user: User, me_client: APIClient, field: str, value: Any
) -> None:
    before = User.objects.values("display_name", "city", "language").get(pk=user.pk)

    response = me_client.patch(ME, {field: value}, format="json")

    assert set(assert_error(response, 400, "invalid")["fields"]) == {field}
    assert User.objects.values("display_name", "city", "language").get(pk=user.pk) == before


def test_fields_the_caller_may_not_set_are_ignored(user: User, me_client: APIClient) -> None:
    phone = user.phone

    response = me_client.patch(
        ME,
        {
            "role": "admin",
            "phone": OTHER_PHONE,
            "id": "00000000-0000-0000-0000-000000000000",
            "is_staff": True,
            "created_at": "2000-01-01T00:00:00Z",
            "city": "Каракол",
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.role, user.phone, user.is_staff, user.city) == ("user", phone, False, "Каракол")
    assert response.json()["id"] == str(user.pk)
    assert not User.objects.filter(phone=OTHER_PHONE).exists()


def test_one_user_patching_changes_only_himself(client_for: Callable[[User], APIClient]) -> None:
    alice, bob = UserFactory(display_name="Alice"), UserFactory(display_name="Bob")

    response = client_for(bob).patch(ME, {"display_name": "Mallory", "id": str(alice.pk)})

    assert response.json()["id"] == str(bob.pk)
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.display_name, bob.display_name) == ("Alice", "Mallory")


def test_each_caller_reads_only_his_own_profile(client_for: Callable[[User], APIClient]) -> None:
    alice, bob = UserFactory(), UserFactory()

    assert client_for(alice).get(ME).json()["id"] == str(alice.pk)
    assert client_for(bob).get(ME).json()["id"] == str(bob.pk)
    assert client_for(bob).get(f"{ME}?id={alice.pk}").json()["id"] == str(bob.pk)


# --- Avatar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp")])
def test_an_avatar_is_stored_reencoded_with_an_absolute_url(
    user: User, me_client: APIClient, django_capture_on_commit_callbacks: Any, fmt: str, name: str
) -> None:
    content = picture(fmt)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(me_client, content, name)

    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    path = stored_avatar(user)
    assert url.startswith("http://testserver/")
    assert url.endswith(user.avatar.url)
    assert path.is_file()
    assert path.read_bytes() != content
    with Image.open(path) as stored:
        assert stored.format == "WEBP"
        assert max(stored.size) <= 1024
    assert me_client.get(ME).json()["avatar_url"] == url


def test_the_stored_avatar_keeps_no_exif_or_location(user: User, me_client: APIClient) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyPhone"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (42.0, 52.0, 17.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (74.0, 35.0, 0.0),
        }
    )
    content = picture("JPEG", exif=exif)
    with Image.open(io.BytesIO(content)) as original:  # the test's own premise
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    assert upload(me_client, content).status_code == 200

    path = stored_avatar(user)
    with Image.open(path) as stored:
        assert "exif" not in stored.info
        assert len(stored.getexif()) == 0
    assert b"SpyPhone" not in path.read_bytes()
    assert b"Exif" not in path.read_bytes()


def test_a_large_photo_is_scaled_down(user: User, me_client: APIClient) -> None:
    assert upload(me_client, picture("JPEG", size=(3000, 2000))).status_code == 200

    with Image.open(stored_avatar(user)) as stored:
        assert stored.size == (1024, 683)


def test_a_text_file_named_jpg_is_unsupported(user: User, me_client: APIClient) -> None:
    response = upload(me_client, b"just some words, not a picture\n" * 10, "me.jpg")

    assert_error(response, 415, "unsupported_media_type")
    user.refresh_from_db()
    assert not user.avatar


def test_a_gif_is_unsupported(user: User, me_client: APIClient) -> None:
    response = upload(me_client, picture("GIF"), "me.gif")

    assert_error(response, 415, "unsupported_media_type")
    user.refresh_from_db()
    assert not user.avatar


def test_a_truncated_jpeg_is_unsupported(me_client: APIClient) -> None:
    response = upload(me_client, picture("JPEG")[:200], "me.jpg")

    assert_error(response, 415, "unsupported_media_type")


def test_a_file_over_the_limit_is_too_large(
    user: User, me_client: APIClient, settings: LazySettings
) -> None:
    content = noise("PNG")
    settings.AVATAR_MAX_BYTES = len(content) - 1

    response = upload(me_client, content, "big.png")

    assert_error(response, 413, "payload_too_large")
    user.refresh_from_db()
    assert not user.avatar


def test_a_file_at_the_limit_is_accepted(me_client: APIClient, settings: LazySettings) -> None:
    content = noise("PNG")
    settings.AVATAR_MAX_BYTES = len(content)

    assert upload(me_client, content, "big.png").status_code == 200


def test_the_default_limit_is_five_megabytes(settings: LazySettings) -> None:
    assert settings.AVATAR_MAX_BYTES == 5 * 1024 * 1024


def test_an_avatar_request_without_a_file_is_a_validation_error(me_client: APIClient) -> None:
    response = me_client.post(AVATAR, {}, format="multipart")

    assert "file" in assert_error(response, 400, "invalid")["fields"]


def test_an_empty_file_is_a_validation_error(me_client: APIClient) -> None:
    response = upload(me_client, b"", "empty.jpg")

    assert_error(response, 400, "invalid")


def test_an_avatar_sent_as_json_is_an_unsupported_media_type(me_client: APIClient) -> None:
    response = me_client.post(AVATAR, {"file": "aGVsbG8="}, format="json")

    assert_error(response, 415, "unsupported_media_type")


def test_replacing_the_avatar_deletes_the_old_file_after_the_commit(
    user: User, me_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        upload(me_client, picture("JPEG"))
    old = stored_avatar(user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(me_client, picture("PNG"), "new.png")

    assert response.status_code == 200
    new = stored_avatar(user)
    assert new != old
    assert old.exists(), "deleted before the commit"
    for callback in callbacks:
        callback()
    assert not old.exists()
    assert new.exists()


def test_a_refused_upload_keeps_the_current_avatar(
    user: User, me_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        upload(me_client, picture("JPEG"))
    current = stored_avatar(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(me_client, picture("GIF"), "x.gif")

    assert response.status_code == 415
    assert stored_avatar(user) == current
    assert current.exists()


def test_the_avatar_needs_a_logged_in_caller() -> None:
    response = upload(APIClient(), picture("JPEG"))

    assert_error(response, 401, "not_authenticated")


# --- Changing the phone ----------------------------------------------------------------------


@pytest.fixture
def ask_for_phone_change(request_code: Callable[..., Any]) -> Callable[..., Any]:
    def ask(client: APIClient, phone: str = NEW_PHONE, **extra: Any) -> Any:
        return request_code(phone, client=client, path=PHONE_CHANGE, **extra)

    return ask


def test_asking_to_change_the_phone_texts_a_code_to_the_new_number(
    me_client: APIClient, ask_for_phone_change: Callable[..., Any], outbox: list[sms.SmsMessage]
) -> None:
    response = ask_for_phone_change(me_client, "0555 987 654")

    assert response.status_code == 202
    assert response.json() == {"expires_in": 300, "resend_in": 60}
    assert [message.phone for message in outbox] == [NEW_PHONE]


def test_a_verified_new_phone_replaces_the_old_and_only_the_new_tokens_work(
    user: User,
    tokens: dict[str, str],
    me_client: APIClient,
    ask_for_phone_change: Callable[..., Any],
) -> None:
    old_phone = user.phone
    ask_for_phone_change(me_client)

    response = me_client.post(
        PHONE_VERIFY, {"phone": NEW_PHONE, "code": last_code(NEW_PHONE)}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phone"] == NEW_PHONE
    assert body["id"] == str(user.pk)
    user.refresh_from_db()
    assert user.phone == NEW_PHONE
    assert_error(me_client.get(ME), 401, "token_not_valid")
    assert_error(
        APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json"),
        401,
        "token_not_valid",
    )
    assert bearer(body["access"]).get(ME).json()["phone"] == NEW_PHONE
    assert jwt.decode(body["access"], options={"verify_signature": False})["phone"] == NEW_PHONE
    assert APIClient().post(REFRESH, {"refresh": body["refresh"]}, format="json").status_code == 200
    entry = AuditEntry.objects.get(action="user.phone_changed", target_id=str(user.pk))
    assert old_phone not in str(entry.data)
    assert NEW_PHONE not in str(entry.data)


def test_after_a_phone_change_the_app_install_is_still_the_one_that_logged_in(
    user: User, ask_for_phone_change: Callable[..., Any]
) -> None:
    install = device_hash("owners-app-install-7f3a9c21d4e8")
    session = LoginSession.objects.create(user=user, device_hash=install)
    client = bearer(issue_tokens(user, session)["access"])
    ask_for_phone_change(client)

    body = client.post(
        PHONE_VERIFY, {"phone": NEW_PHONE, "code": last_code(NEW_PHONE)}, format="json"
    ).json()

    session_id = jwt.decode(body["access"], options={"verify_signature": False})["sid"]
    assert LoginSession.objects.get(pk=session_id).device_hash == install


def test_the_old_phone_is_free_for_a_new_account_after_a_change(
    user: User,
    me_client: APIClient,
    ask_for_phone_change: Callable[..., Any],
    login: Callable[..., Any],
) -> None:
    old_phone = user.phone
    ask_for_phone_change(me_client)
    me_client.post(PHONE_VERIFY, {"phone": NEW_PHONE, "code": last_code(NEW_PHONE)})

    body = login(old_phone)

    assert body["is_new_user"] is True
    assert body["user"]["id"] != str(user.pk)


def test_a_phone_another_account_has_is_taken(
    user: User, me_client: APIClient, ask_for_phone_change: Callable[..., Any]
) -> None:
    UserFactory(phone=NEW_PHONE)
    # Asking tells nothing: only the holder of that number's code learns it is taken.
    assert ask_for_phone_change(me_client).status_code == 202

    response = me_client.post(
        PHONE_VERIFY, {"phone": NEW_PHONE, "code": last_code(NEW_PHONE)}, format="json"
    )

    assert_error(response, 409, "phone_taken")
    user.refresh_from_db()
    assert user.phone != NEW_PHONE
    assert me_client.get(ME).status_code == 200


def test_a_wrong_phone_change_code_is_invalid_code(
    user: User, me_client: APIClient, ask_for_phone_change: Callable[..., Any]
) -> None:
    ask_for_phone_change(me_client)
    code = last_code(NEW_PHONE)

    response = me_client.post(
        PHONE_VERIFY, {"phone": NEW_PHONE, "code": f"{(int(code) + 1) % 10**6:06d}"}
    )

    assert assert_error(response, 400, "invalid_code")["attempts_left"] == 4
    user.refresh_from_db()
    assert user.phone != NEW_PHONE


def test_a_code_one_user_asked_for_does_not_work_for_another(
    client_for: Callable[[User], APIClient], ask_for_phone_change: Callable[..., Any]
) -> None:
    alice, bob = UserFactory(), UserFactory()
    alice_client = client_for(alice)
    ask_for_phone_change(alice_client)
    code = last_code(NEW_PHONE)

    stolen = client_for(bob).post(PHONE_VERIFY, {"phone": NEW_PHONE, "code": code})

    assert_error(stolen, 400, "invalid_code")
    bob.refresh_from_db()
    assert bob.phone != NEW_PHONE
    assert alice_client.post(PHONE_VERIFY, {"phone": NEW_PHONE, "code": code}).status_code == 200


def test_another_users_request_does_not_cancel_my_phone_change_code(
    client_for: Callable[[User], APIClient],
    ask_for_phone_change: Callable[..., Any],
    settings: LazySettings,
) -> None:
    alice, mallory = UserFactory(), UserFactory()
    alice_client = client_for(alice)
    ask_for_phone_change(alice_client)
    code = last_code(NEW_PHONE)
    delete_resend_key(NEW_PHONE, settings)  # a minute later

    ask_for_phone_change(client_for(mallory))

    assert alice_client.post(PHONE_VERIFY, {"phone": NEW_PHONE, "code": code}).status_code == 200


def test_a_login_code_does_not_change_a_phone(
    me_client: APIClient, request_code: Callable[..., Any]
) -> None:
    request_code(NEW_PHONE)  # a login code, sent to the same number

    response = me_client.post(PHONE_VERIFY, {"phone": NEW_PHONE, "code": last_code(NEW_PHONE)})

    assert_error(response, 400, "invalid_code")


def test_a_phone_change_code_does_not_log_in(
    me_client: APIClient, ask_for_phone_change: Callable[..., Any], verify: Callable[..., Any]
) -> None:
    ask_for_phone_change(me_client)

    response = verify(NEW_PHONE, last_code(NEW_PHONE), CONSENT)

    assert_error(response, 400, "invalid_code")
    assert not User.objects.filter(phone=NEW_PHONE).exists()


def test_changing_to_an_invalid_phone_is_invalid_phone(
    me_client: APIClient, ask_for_phone_change: Callable[..., Any], outbox: list[sms.SmsMessage]
) -> None:
    assert_error(ask_for_phone_change(me_client, "0312 123 456"), 400, "invalid_phone")
    assert_error(
        me_client.post(PHONE_VERIFY, {"phone": "+7 701 123 4567", "code": "123456"}),
        400,
        "invalid_phone",
    )
    assert outbox == []


def test_phone_change_codes_are_throttled_like_login_codes(
    me_client: APIClient, ask_for_phone_change: Callable[..., Any], outbox: list[sms.SmsMessage]
) -> None:
    ask_for_phone_change(me_client)

    response = ask_for_phone_change(me_client)

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1
    assert len(outbox) == 1


def test_an_expired_phone_change_code_is_code_expired(
    me_client: APIClient, ask_for_phone_change: Callable[..., Any]
) -> None:
    ask_for_phone_change(me_client)
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = me_client.post(PHONE_VERIFY, {"phone": NEW_PHONE, "code": last_code(NEW_PHONE)})

    assert_error(response, 400, "code_expired")


@pytest.mark.parametrize("path", [PHONE_CHANGE, PHONE_VERIFY])
def test_changing_the_phone_needs_a_logged_in_caller(path: str) -> None:
    response = APIClient().post(path, {"phone": NEW_PHONE, "code": "123456"}, format="json")

    assert_error(response, 401, "not_authenticated")


# --- Deleting the account --------------------------------------------------------------------


def test_deleting_the_account_erases_the_person_and_stops_the_tokens(
    user: User,
    tokens: dict[str, str],
    me_client: APIClient,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        upload(me_client, picture("JPEG"))
    avatar = stored_avatar(user)
    user.city = "Талас"
    user.save(update_fields=("city",))
    consent_record(user=user, kind="offer_agreement", accepted=True, meta=RequestMeta(None, ""))
    Device.objects.create(
        user=user, expo_push_token="ExponentPushToken[abcdefgh12]", platform="ios"
    )
    phone = user.phone

    with django_capture_on_commit_callbacks(execute=True):
        response = me_client.delete(ME)

    assert response.status_code == 204
    user.refresh_from_db()
    assert (user.display_name, user.city, user.avatar.name) == ("", "", "")
    assert user.phone != phone
    assert not user.phone.startswith("+996")
    assert user.is_active is False
    assert user.deleted_at is not None
    assert not avatar.exists()
    assert not Device.objects.filter(user=user).exists()
    assert_error(me_client.get(ME), 401, "token_not_valid")
    assert_error(
        APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json"),
        401,
        "token_not_valid",
    )


def test_a_deleted_account_keeps_its_audit_log_and_consent_history(
    user: User, me_client: APIClient
) -> None:
    consent_record(user=user, kind="offer_agreement", accepted=True, meta=RequestMeta(None, ""))
    bearer(issue_tokens(user)["access"]).post("/api/v1/auth/logout-all/")
    me_client = bearer(issue_tokens(User.objects.get(pk=user.pk))["access"])

    assert me_client.delete(ME).status_code == 204

    actions = set(
        AuditEntry.objects.filter(target_id=str(user.pk)).values_list("action", flat=True)
    )
    assert {"user.logged_out_everywhere", "user.deleted"} <= actions
    assert Consent.objects.filter(user=user, kind="offer_agreement").count() == 1


def test_the_phone_of_a_deleted_account_can_register_again(
    login: Callable[..., Any], settings: LazySettings
) -> None:
    first = login(PHONE)
    assert bearer(first["access"]).delete(ME).status_code == 204
    delete_resend_key(PHONE, settings)

    second = login(PHONE)

    assert second["is_new_user"] is True
    assert second["user"]["id"] != first["user"]["id"]
    assert second["user"]["phone"] == PHONE


def test_the_tombstones_of_two_deleted_accounts_do_not_collide(
    client_for: Callable[[User], APIClient],
) -> None:
    first, second = UserFactory(), UserFactory()

    assert client_for(first).delete(ME).status_code == 204
    assert client_for(second).delete(ME).status_code == 204

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.phone != second.phone


def test_the_last_admin_of_a_business_cannot_delete_the_account(
    user: User, me_client: APIClient, restore_hooks: None
) -> None:
    def last_admin(candidate: Any) -> None:
        if candidate.pk == user.pk:
            raise LastAdmin

    hooks.register_deletion_guard(last_admin)
    before = User.objects.values().get(pk=user.pk)

    response = me_client.delete(ME)

    assert_error(response, 409, "last_admin")
    assert User.objects.values().get(pk=user.pk) == before
    assert me_client.get(ME).status_code == 200
    assert not AuditEntry.objects.filter(action="user.deleted").exists()


def test_deletion_cleanups_run_with_the_deletion(
    user: User, me_client: APIClient, restore_hooks: None
) -> None:
    seen: list[Any] = []
    hooks.register_deletion_cleanup(lambda deleted: seen.append(deleted.pk))

    assert me_client.delete(ME).status_code == 204

    assert seen == [user.pk]


def test_one_user_deleting_his_account_leaves_others_alone(
    client_for: Callable[[User], APIClient],
) -> None:
    alice, bob = UserFactory(), UserFactory()
    alice_client = client_for(alice)

    assert client_for(bob).delete(ME).status_code == 204

    alice.refresh_from_db()
    assert alice.is_active
    assert alice_client.get(ME).status_code == 200


def test_deleting_needs_a_logged_in_caller() -> None:
    assert_error(APIClient().delete(ME), 401, "not_authenticated")
