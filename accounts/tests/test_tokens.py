"""Bearer tokens: refresh with rotation, logout, logout everywhere, and who is let in."""

import base64
import json
import logging
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.conf import LazySettings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import AuditEntry, Role, User
from accounts.services import user_ban, user_set_role
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from tests.helpers import assert_error

from .conftest import LOGOUT, LOGOUT_ALL, ME, REFRESH, bearer

pytestmark = pytest.mark.django_db


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def resigned(token: str, key: str, **changes: Any) -> str:
    """`token` with some claims changed, signed with `key` (HS256)."""
    return jwt.encode({**claims_of(token), **changes}, key, algorithm="HS256")


def unsigned(token: str) -> str:
    """`token` re-issued with `alg: none` and no signature."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims_of(token))}."


def refresh(refresh_token: str) -> Any:
    return APIClient().post(REFRESH, {"refresh": refresh_token}, format="json")


# --- Refresh ---------------------------------------------------------------------------------


def test_a_refresh_gives_a_new_pair_that_works(user: User, tokens: dict[str, str]) -> None:
    response = refresh(tokens["refresh"])

    assert response.status_code == 200, response.content
    pair = response.json()
    assert set(pair) >= {"access", "refresh"}
    assert pair["refresh"] != tokens["refresh"]
    assert bearer(pair["access"]).get(ME).json()["id"] == str(user.pk)
    assert refresh(pair["refresh"]).status_code == 200


def test_the_old_refresh_token_stops_working_after_rotation(tokens: dict[str, str]) -> None:
    assert refresh(tokens["refresh"]).status_code == 200

    again = refresh(tokens["refresh"])

    assert_error(again, 401, "token_not_valid")


# --- Reuse of a rotated refresh token ends its login -----------------------------------------


def test_replaying_a_rotated_refresh_token_ends_that_login_only(user: User) -> None:
    stolen = issue_tokens(user)
    other_device = issue_tokens(user)
    rotated = refresh(stolen["refresh"]).json()

    replay = refresh(stolen["refresh"])

    assert_error(replay, 401, "token_not_valid")
    # Whoever holds the pair issued in its place is out too, with every access token.
    assert_error(refresh(rotated["refresh"]), 401, "token_not_valid")
    assert_error(bearer(rotated["access"]).get(ME), 401, "token_not_valid")
    assert_error(bearer(stolen["access"]).get(ME), 401, "token_not_valid")
    # The user's other login goes on.
    assert bearer(other_device["access"]).get(ME).status_code == 200
    assert refresh(other_device["refresh"]).status_code == 200


def legacy_tokens(user: User) -> dict[str, str]:
    """A pair as issued before login sessions: the same claims but no `sid`."""
    token = RefreshToken.for_user(user)
    token["role"], token["phone"], token["ver"] = user.role, user.phone, user.token_version
    return {"access": str(token.access_token), "refresh": str(token)}


def test_a_login_from_before_sessions_moves_into_one_on_its_next_refresh(user: User) -> None:
    old = legacy_tokens(user)

    pair = refresh(old["refresh"])

    assert pair.status_code == 200, pair.content
    assert claims_of(pair.json()["access"])["sid"] == claims_of(pair.json()["refresh"])["sid"]
    assert bearer(pair.json()["access"]).get(ME).json()["id"] == str(user.pk)
    assert refresh(pair.json()["refresh"]).status_code == 200
    # Its access token has no session to check: refused, so the app refreshes.
    assert_error(bearer(old["access"]).get(ME), 401, "token_not_valid")


def test_replaying_a_token_from_before_sessions_ends_the_login_it_moved_into(user: User) -> None:
    stolen = legacy_tokens(user)
    moved = refresh(stolen["refresh"]).json()

    assert_error(refresh(stolen["refresh"]), 401, "token_not_valid")

    assert_error(refresh(moved["refresh"]), 401, "token_not_valid")
    assert_error(bearer(moved["access"]).get(ME), 401, "token_not_valid")


@pytest.mark.parametrize("user_id", ["not-a-uuid", None, "00000000-0000-0000-0000-000000000000"])
def test_a_token_from_before_sessions_naming_no_user_is_refused(
    user: User, settings: LazySettings, user_id: Any
) -> None:
    odd = resigned(
        legacy_tokens(user)["refresh"], settings.SIMPLE_JWT["SIGNING_KEY"], userId=user_id
    )

    assert_error(refresh(odd), 401, "token_not_valid")


def test_logging_out_a_token_from_before_sessions_ends_the_login_it_moved_into(
    user: User,
) -> None:
    old = legacy_tokens(user)
    moved = refresh(old["refresh"]).json()

    response = bearer(moved["access"]).post(LOGOUT, {"refresh": old["refresh"]}, format="json")

    assert response.status_code == 204
    assert_error(refresh(moved["refresh"]), 401, "token_not_valid")
    assert_error(bearer(moved["access"]).get(ME), 401, "token_not_valid")


def test_a_token_from_before_sessions_of_a_banned_user_is_refused(user: User) -> None:
    old = legacy_tokens(user)
    user_ban(user=user, actor=None)

    assert_error(refresh(old["refresh"]), 401, "token_not_valid")


def test_a_refresh_token_reuse_is_audited_and_logged_without_the_token(
    user: User, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = issue_tokens(user)
    rotated = refresh(tokens["refresh"]).json()
    session_id = claims_of(tokens["refresh"])["sid"]

    with caplog.at_level(logging.WARNING, logger="accounts"):
        refresh(tokens["refresh"])

    entry = AuditEntry.objects.get(action="user.session_revoked", target_id=str(user.pk))
    assert entry.data == {"session": session_id, "reason": "refresh_token_reused"}
    assert session_id in caplog.text
    for token in (*tokens.values(), *rotated.values()):
        assert token not in caplog.text
        assert token not in str(entry.data)


def test_a_new_login_after_a_reuse_works(user: User) -> None:
    tokens = issue_tokens(user)
    refresh(tokens["refresh"])
    refresh(tokens["refresh"])

    fresh = issue_tokens(user)

    assert bearer(fresh["access"]).get(ME).status_code == 200
    assert refresh(fresh["refresh"]).status_code == 200


def test_every_token_of_a_login_carries_its_session(user: User) -> None:
    tokens = issue_tokens(user)
    rotated = refresh(tokens["refresh"]).json()

    sessions = {claims_of(token)["sid"] for token in (*tokens.values(), *rotated.values())}

    assert len(sessions) == 1
    assert claims_of(issue_tokens(user)["access"])["sid"] not in sessions


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 1500], ids=["word", "dots", "long"])
def test_a_malformed_refresh_token_is_refused(token: str) -> None:
    assert_error(refresh(token), 401, "token_not_valid")


def test_an_empty_refresh_token_is_a_validation_error() -> None:
    response = refresh("")

    assert "refresh" in assert_error(response, 400, "invalid")["fields"]


def test_an_expired_refresh_token_is_refused(
    tokens: dict[str, str], settings: LazySettings
) -> None:
    past = int((timezone.now() - timedelta(minutes=1)).timestamp())
    expired = resigned(tokens["refresh"], settings.SIMPLE_JWT["SIGNING_KEY"], exp=past)

    assert_error(refresh(expired), 401, "token_not_valid")


def test_a_refresh_token_with_a_forged_signature_is_refused(tokens: dict[str, str]) -> None:
    forged = resigned(tokens["refresh"], "someone-elses-key-0123456789abcdef")

    assert_error(refresh(forged), 401, "token_not_valid")


def test_an_access_token_is_not_a_refresh_token(tokens: dict[str, str]) -> None:
    assert_error(refresh(tokens["access"]), 401, "token_not_valid")


def test_a_banned_users_refresh_token_is_refused(user: User, tokens: dict[str, str]) -> None:
    user_ban(user=user, actor=None)

    assert_error(refresh(tokens["refresh"]), 401, "token_not_valid")


def test_the_refreshed_access_token_reflects_the_current_role(
    user: User, tokens: dict[str, str]
) -> None:
    user_set_role(user=user, role=Role.MODERATOR, actor=None)

    pair = refresh(tokens["refresh"]).json()

    assert claims_of(pair["access"])["role"] == "moderator"


def test_a_refresh_without_a_body_is_a_validation_error() -> None:
    response = APIClient().post(REFRESH, {}, format="json")

    assert "refresh" in assert_error(response, 400, "invalid")["fields"]


# --- Logout ----------------------------------------------------------------------------------


def test_logout_ends_the_login_of_the_given_refresh_token(tokens: dict[str, str]) -> None:
    client = bearer(tokens["access"])

    response = client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204
    assert_error(client.get(ME), 401, "token_not_valid")
    assert_error(refresh(tokens["refresh"]), 401, "token_not_valid")
    assert AuditEntry.objects.filter(action="user.session_revoked", data__reason="logout").exists()


def test_logout_with_a_token_a_thief_rotated_ends_the_thief_s_chain_too(user: User) -> None:
    victim = issue_tokens(user)
    thief = refresh(victim["refresh"]).json()

    response = bearer(victim["access"]).post(LOGOUT, {"refresh": victim["refresh"]}, format="json")

    assert response.status_code == 204
    assert_error(refresh(thief["refresh"]), 401, "token_not_valid")
    assert_error(bearer(thief["access"]).get(ME), 401, "token_not_valid")


def test_an_access_token_of_an_ended_login_can_do_nothing_but_log_out(
    tokens: dict[str, str],
) -> None:
    client = bearer(tokens["access"])
    client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert_error(client.get(ME), 401, "token_not_valid")
    assert_error(client.post(LOGOUT_ALL), 401, "token_not_valid")
    assert client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 204


def test_logout_leaves_the_users_other_sessions_alone(user: User) -> None:
    phone_session, tablet_session = issue_tokens(user), issue_tokens(user)

    bearer(phone_session["access"]).post(
        LOGOUT, {"refresh": phone_session["refresh"]}, format="json"
    )

    assert refresh(tablet_session["refresh"]).status_code == 200


def test_logging_out_twice_is_fine(tokens: dict[str, str]) -> None:
    client = bearer(tokens["access"])
    client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    again = client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert again.status_code == 204


def test_logout_needs_a_logged_in_caller(tokens: dict[str, str]) -> None:
    response = APIClient().post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert_error(response, 401, "not_authenticated")
    assert refresh(tokens["refresh"]).status_code == 200


def test_nobody_can_log_out_someone_elses_refresh_token(tokens: dict[str, str]) -> None:
    intruder = bearer(issue_tokens(UserFactory())["access"])

    response = intruder.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code in (400, 401, 404)
    assert refresh(tokens["refresh"]).status_code == 200


def test_logout_with_an_access_token_in_place_of_the_refresh_is_refused(
    tokens: dict[str, str],
) -> None:
    client = bearer(tokens["access"])

    response = client.post(LOGOUT, {"refresh": tokens["access"]}, format="json")

    assert_error(response, 401, "token_not_valid")


def test_logout_all_stops_every_token_of_the_user_and_no_one_elses(user: User) -> None:
    sessions = [issue_tokens(user) for _ in range(3)]
    bystander = issue_tokens(UserFactory())

    response = bearer(sessions[0]["access"]).post(LOGOUT_ALL)

    assert response.status_code == 204
    for session in sessions:
        assert_error(bearer(session["access"]).get(ME), 401, "token_not_valid")
        assert_error(refresh(session["refresh"]), 401, "token_not_valid")
    assert bearer(bystander["access"]).get(ME).status_code == 200
    assert refresh(bystander["refresh"]).status_code == 200
    assert AuditEntry.objects.filter(
        action="user.logged_out_everywhere", target_id=str(user.pk)
    ).exists()


def test_a_new_login_after_logout_all_works(user: User) -> None:
    bearer(issue_tokens(user)["access"]).post(LOGOUT_ALL)

    fresh = issue_tokens(User.objects.get(pk=user.pk))

    assert bearer(fresh["access"]).get(ME).status_code == 200


def test_logout_all_needs_a_logged_in_caller() -> None:
    assert_error(APIClient().post(LOGOUT_ALL), 401, "not_authenticated")


# --- Who is let in ---------------------------------------------------------------------------


def test_no_credentials_is_not_authenticated() -> None:
    assert_error(APIClient().get(ME), 401, "not_authenticated")


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Bearer a.b.c", "Bearer ", "Token abc"],
    ids=["word", "dots", "empty", "other-scheme"],
)
def test_a_malformed_authorization_header_is_refused(header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("token_not_valid", "not_authenticated")
    if header.startswith("Bearer ") and header.strip() != "Bearer":
        assert_error(response, 401, "token_not_valid")


def test_an_alg_none_token_is_refused(tokens: dict[str, str]) -> None:
    assert_error(bearer(unsigned(tokens["access"])).get(ME), 401, "token_not_valid")


def test_a_token_signed_with_another_key_is_refused(tokens: dict[str, str]) -> None:
    forged = resigned(tokens["access"], "someone-elses-key-0123456789abcdef")

    assert_error(bearer(forged).get(ME), 401, "token_not_valid")


def test_a_token_whose_claims_were_edited_is_refused(tokens: dict[str, str], user: User) -> None:
    # Keep the signature, change the payload: the role claim promoted to admin.
    header, _payload, signature = tokens["access"].split(".")
    payload = base64.urlsafe_b64encode(
        json.dumps({**claims_of(tokens["access"]), "role": "admin"}).encode()
    )

    tampered = f"{header}.{payload.rstrip(b'=').decode()}.{signature}"

    assert_error(bearer(tampered).get(ME), 401, "token_not_valid")


def test_an_expired_access_token_is_refused(tokens: dict[str, str], settings: LazySettings) -> None:
    past = int((timezone.now() - timedelta(seconds=5)).timestamp())
    expired = resigned(tokens["access"], settings.SIMPLE_JWT["SIGNING_KEY"], exp=past)

    assert_error(bearer(expired).get(ME), 401, "token_not_valid")


def test_a_refresh_token_is_not_an_access_token(tokens: dict[str, str]) -> None:
    assert_error(bearer(tokens["refresh"]).get(ME), 401, "token_not_valid")


def test_a_banned_users_unexpired_access_token_stops_at_once(
    user: User, tokens: dict[str, str]
) -> None:
    client = bearer(tokens["access"])
    assert client.get(ME).status_code == 200

    user_ban(user=user, actor=None)

    assert_error(client.get(ME), 401, "token_not_valid")


def test_a_token_of_a_user_who_no_longer_exists_is_refused(
    tokens: dict[str, str], settings: LazySettings
) -> None:
    ghost = resigned(
        tokens["access"],
        settings.SIMPLE_JWT["SIGNING_KEY"],
        userId="00000000-0000-0000-0000-000000000000",
    )

    assert_error(bearer(ghost).get(ME), 401, "token_not_valid")


def test_the_role_is_read_from_the_database_not_the_token(
    user: User, tokens: dict[str, str], settings: LazySettings
) -> None:
    # A validly signed token that claims more than the user has grants nothing more.
    boasting = resigned(tokens["access"], settings.SIMPLE_JWT["SIGNING_KEY"], role="admin")

    assert bearer(boasting).get(ME).json()["role"] == "user"


def test_a_stale_token_on_a_public_endpoint_does_not_block_it(tokens: dict[str, str]) -> None:
    client = bearer("garbage")

    assert client.get("/api/v1/legal/documents/").status_code == 200
