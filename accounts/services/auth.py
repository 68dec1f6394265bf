"""Logging in with a code, and the life of the tokens that follow."""

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import InvalidToken, TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from ..exceptions import AccountDisabled, ConsentRequired
from ..models import CodePurpose, User
from ..tokens import TOKEN_VERSION_CLAIM, SessionRefreshToken, issue_tokens
from .audit import audit_record
from .consents import RequestMeta, consent_record_many, required_kinds
from .otp import otp_check, otp_spend
from .users import user_revoke_all_tokens

USER_ID_CLAIM: str = jwt_settings.USER_ID_CLAIM


@dataclass(frozen=True)
class LoginResult:
    user: User
    is_new_user: bool
    tokens: dict[str, str]


def _consent_complete(consent: dict[str, Any] | None) -> bool:
    return consent is not None and all(consent.get(kind) is True for kind in required_kinds())


def auth_login_with_code(
    *, phone: str, code: str, consent: dict[str, Any] | None, meta: RequestMeta
) -> LoginResult:
    """Verify a login code and open a session, creating the account on first login.

    A new user must accept the required documents; without them the answer is
    `consent_required` and the code is neither spent nor the try counted — and only someone
    holding the right code learns that the phone has no account yet.
    """
    refusal: Exception | None = None
    with transaction.atomic():
        checked = otp_check(phone=phone, purpose=CodePurpose.LOGIN, code=code)
        if isinstance(checked, Exception):
            refusal = checked
        else:
            user = User.objects.filter(phone=phone).first()
            if user is None and not _consent_complete(consent):
                raise ConsentRequired
            if user is not None and not user.is_active:
                raise AccountDisabled
            otp_spend(checked)
            is_new_user = user is None
            if user is None:
                user = User.objects.create_user(phone)
                audit_record(actor=user, action="user.registered", target=user)
            if consent:
                consent_record_many(user=user, decisions=consent, meta=meta)
            tokens = issue_tokens(user)
    if refusal is not None:
        raise refusal
    assert user is not None  # noqa: S101 - set on every path that did not raise
    return LoginResult(user=user, is_new_user=is_new_user, tokens=tokens)


def _load_refresh(raw: str) -> SessionRefreshToken:
    try:
        return SessionRefreshToken(raw)  # type: ignore[arg-type]  # checks signature, expiry, type
    except TokenError as exc:
        raise InvalidToken(str(exc)) from None


def _refresh_user(token: SessionRefreshToken) -> User:
    user = User.objects.filter(pk=token.get(USER_ID_CLAIM)).first()
    if user is None or not user.is_active or token.get(TOKEN_VERSION_CLAIM) != user.token_version:
        raise InvalidToken("The token has been revoked.")
    return user


def auth_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: the old one is blacklisted as the new pair is issued.

    The outstanding token's row is locked, so of two concurrent refreshes with one token
    exactly one succeeds.
    """
    token = _load_refresh(refresh)
    user = _refresh_user(token)
    with transaction.atomic():
        # Ordered by pk: the model's default ordering joins the (nullable) user, and
        # PostgreSQL cannot lock the nullable side of an outer join.
        outstanding = (
            OutstandingToken.objects.select_for_update()
            .filter(jti=token["jti"])
            .order_by("pk")
            .first()
        )
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise InvalidToken("The token has been used or revoked.")
        BlacklistedToken.objects.create(token=outstanding)
        return issue_tokens(user)


def auth_logout(*, user: User, refresh: str) -> None:
    """Revoke one refresh token of the caller's; a token already revoked is fine (a retried
    logout succeeds), so only the signature, expiry and type are checked, not the blacklist."""
    try:
        payload = token_backend.decode(refresh, verify=True)  # type: ignore[arg-type]
    except TokenBackendError:
        raise InvalidToken("The token is not valid.") from None
    if payload.get("token_type") != "refresh" or str(payload.get(USER_ID_CLAIM)) != str(user.pk):
        raise InvalidToken("The token is not a refresh token of yours.")
    outstanding = OutstandingToken.objects.filter(jti=payload.get("jti")).first()
    if outstanding is not None:
        try:
            with transaction.atomic():
                BlacklistedToken.objects.get_or_create(token=outstanding)
        except IntegrityError:
            pass  # revoked by a concurrent call: the outcome is the same


def auth_logout_all(*, user: User) -> None:
    with transaction.atomic():
        user_revoke_all_tokens(user=user)
        audit_record(actor=user, action="user.logged_out_everywhere", target=user)
