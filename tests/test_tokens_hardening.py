"""Tokens under attack: forged, downgraded, expired, revoked — every one is a 401 in the
contract's shape (`token_not_valid`), and no access token is ever written to a log line.

Already proven elsewhere and not repeated here:
- `accounts/tests/test_tokens.py`: `alg: none`, another key, edited claims, an expired token,
  a refresh token used as an access token, a banned user's token, a token naming no user.
- `chat/tests/test_socket.py::test_an_open_socket_closes_with_4401_when_the_user_is_banned`
  (and its neighbours): a banned user's open socket closes with 4401 within a second, an
  expired token's socket closes when it expires, a revocation closes older sockets only.
- `tests/test_logging.py`: the formatter redacts `token=` in messages, fields and tracebacks.
"""

import base64
import io
import json
import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
from channels.testing import WebsocketCommunicator
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import LazySettings
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import user_ban
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from marketplace.asgi import application
from tests.helpers import assert_error, bearer
from tests.test_logging import make_formatter

ME = "/api/v1/me/"
FAVORITES = "/api/v1/me/favorites/"
THREADS = "/api/v1/chat/threads/"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
def user() -> User:
    return UserFactory()


@pytest.fixture
def access(user: User) -> str:
    return issue_tokens(user)["access"]


# --- The algorithm is fixed -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_jwt_algorithm_is_fixed_to_hs256(settings: LazySettings, access: str) -> None:
    assert settings.SIMPLE_JWT["ALGORITHM"] == "HS256"
    assert jwt.get_unverified_header(access)["alg"] == "HS256"


@pytest.mark.django_db
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_token_signed_with_the_right_key_but_another_hmac_is_refused(
    access: str, settings: LazySettings, algorithm: str
) -> None:
    other = jwt.encode(claims_of(access), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm)

    assert_error(bearer(other).get(ME), 401, "token_not_valid")


@pytest.mark.django_db
def test_a_token_signed_with_rs256_is_refused(access: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

    forged = jwt.encode(claims_of(access), pem, algorithm="RS256")

    assert_error(bearer(forged).get(ME), 401, "token_not_valid")


@pytest.mark.django_db
def test_an_rs256_header_over_an_hmac_signature_is_refused(
    access: str, settings: LazySettings
) -> None:
    # Algorithm confusion: claim RS256 while signing with the shared key as if it were HS256.
    import hashlib
    import hmac

    header = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = access.split(".")[1]
    signing_input = f"{header}.{payload}".encode()
    key = settings.SIMPLE_JWT["SIGNING_KEY"].encode()
    signature = b64(hmac.new(key, signing_input, hashlib.sha256).digest())

    assert_error(bearer(f"{header}.{payload}.{signature}").get(ME), 401, "token_not_valid")


@pytest.mark.django_db
@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_every_spelling_of_alg_none_is_refused(access: str, alg: str) -> None:
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())

    unsigned = f"{header}.{access.split('.')[1]}."

    assert_error(bearer(unsigned).get(ME), 401, "token_not_valid")


@pytest.mark.django_db
def test_a_token_with_a_flipped_signature_byte_is_refused(access: str) -> None:
    header, payload, signature = access.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    assert_error(bearer(f"{header}.{payload}.{flipped}").get(ME), 401, "token_not_valid")


@pytest.mark.django_db
def test_a_token_expired_a_second_ago_is_refused_everywhere(
    access: str, settings: LazySettings
) -> None:
    past = int((timezone.now() - timedelta(seconds=1)).timestamp())
    expired = jwt.encode(
        {**claims_of(access), "exp": past}, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256"
    )

    for path in (ME, FAVORITES, THREADS):
        assert_error(bearer(expired).get(path), 401, "token_not_valid")


# --- Revoked with the user --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_deleted_users_token_is_refused(user: User, access: str) -> None:
    client = bearer(access)
    assert client.delete(ME).status_code == 204

    for path in (ME, FAVORITES, THREADS):
        assert_error(client.get(path), 401, "token_not_valid")


@pytest.mark.django_db
def test_a_banned_users_token_is_refused_on_every_kind_of_endpoint(user: User, access: str) -> None:
    client = bearer(access)
    assert client.get(FAVORITES).status_code == 200

    user_ban(user=user, actor=None)

    assert_error(client.get(ME), 401, "token_not_valid")
    assert_error(client.get(FAVORITES), 401, "token_not_valid")
    assert_error(client.post(THREADS, {"listing_id": "x"}, format="json"), 401, "token_not_valid")


# --- No access token in any log line ----------------------------------------------------------


@pytest.fixture
def every_log_line(caplog: pytest.LogCaptureFixture) -> Iterator[list[io.StringIO]]:
    """All records, at every level, rendered by the JSON and the console formatters."""
    streams = [io.StringIO(), io.StringIO()]
    handlers = []
    for stream, json_lines in zip(streams, (True, False), strict=True):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(make_formatter(json_lines=json_lines))
        handler.setLevel(logging.DEBUG)
        handlers.append(handler)
    root = logging.getLogger()
    for handler in handlers:
        root.addHandler(handler)
    try:
        with caplog.at_level(logging.DEBUG):
            yield streams
    finally:
        for handler in handlers:
            root.removeHandler(handler)


async def _socket_with_token_in_query(token: str) -> None:
    communicator = WebsocketCommunicator(application, f"/ws/chat/?token={token}")
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
def test_no_access_token_reaches_a_log_line(
    every_log_line: list[io.StringIO], caplog: pytest.LogCaptureFixture
) -> None:
    from asgiref.sync import async_to_sync

    user = UserFactory()
    token = issue_tokens(user)["access"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    # Given requests that carry the token every way a client might send it — the header, a
    # query string on success, on a 4xx (Django logs the request), on an unknown path, and
    # the WebSocket's `?token=` —
    assert client.get(ME).status_code == 200
    assert client.get(f"{ME}?token={token}").status_code == 200
    assert (
        client.post(f"{THREADS}?access_token={token}", "{}", "application/json").status_code == 400
    )
    assert client.get(f"/api/v1/nowhere/?token={token}").status_code == 404
    assert Client().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}x").status_code == 401
    async_to_sync(_socket_with_token_in_query)(token)

    # then something was logged, and the token is in none of it.
    text = "".join(stream.getvalue() for stream in every_log_line)
    assert "GET /api/v1/me/ 200" in text
    secret = token.split(".")[2]  # the signature: what would make a leaked line usable
    assert secret not in text
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()
        extra = {k: v for k, v in vars(record).items() if k not in ("request", "scope")}
        assert secret not in repr(extra), record.name
    assert os.environ.get("JWT_SIGNING_KEY", "\0") not in text


def test_uvicorns_own_lines_are_redacted_too(settings: LazySettings) -> None:
    """uvicorn logs `"WebSocket /ws/chat/?token=..." [accepted]` through handlers of its own,
    set up before Django starts; the project's logging config must take them over."""
    import logging.config

    import uvicorn.config

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        # Given uvicorn's logging set up first, then Django's, as `uvicorn marketplace.asgi` does,
        logging.config.dictConfig(uvicorn.config.LOGGING_CONFIG)
        logging.config.dictConfig(settings.LOGGING)
        handler = logging.StreamHandler(stream)
        handler.setFormatter(make_formatter(json_lines=True))
        root.addHandler(handler)

        # when uvicorn accepts a socket with the token in its query string,
        logging.getLogger("uvicorn.error").info(
            '%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", "/ws/chat/?token=abc.def.SIG"
        )
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])

    # then the line went through the project's formatter, redacted, and nowhere else.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        assert logging.getLogger(name).handlers == [], name
        assert logging.getLogger(name).propagate, name
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["event"] == '127.0.0.1:5000 - "WebSocket /ws/chat/?token=[redacted]" [accepted]'
    assert "SIG" not in stream.getvalue()
