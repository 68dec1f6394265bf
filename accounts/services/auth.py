"""Logging in with a code, and the life of the tokens that follow."""

import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken, TokenBackendError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from .. import hooks
from ..exceptions import AccountDisabled, ConsentRequired
from ..locks import login_sessions_for_update, outstanding_tokens_for_update
from ..models import CodePurpose, LoginSession, User
from ..selectors import login_session_user
from ..tokens import SESSION_CLAIM, TOKEN_VERSION_CLAIM, issue_tokens
from .audit import audit_record
from .consents import RequestMeta, consent_record_many, required_kinds
from .otp import device_hash, otp_check, otp_spend
from .users import user_revoke_all_tokens

USER_ID_CLAIM: str = jwt_settings.USER_ID_CLAIM

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginResult:
    user: User
    is_new_user: bool
    tokens: dict[str, str]


def _consent_complete(consent: dict[str, Any] | None) -> bool:
    return consent is not None and all(consent.get(kind) is True for kind in required_kinds())


def auth_login_with_code(
    *,
    phone: str,
    code: str,
    consent: dict[str, Any] | None,
    meta: RequestMeta,
    device_id: str | None = None,
) -> LoginResult:
    """Verify a login code and open a session, creating the account on first login.

    The session remembers the app install (`device_id`, hashed) it was opened from: that
    install may later ask for codes past the phone's limit (`otp_send`).

    A new user must accept the required documents; without them the answer is
    `consent_required` and the code is neither spent nor the try counted — and only someone
    holding the right code learns that the phone has no account yet.
    """
    refusal: Exception | None = None
    with transaction.atomic():
        checked = otp_check(phone=phone, purpose=CodePurpose.LOGIN, code=code, device_id=device_id)
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
            session = LoginSession.objects.create(
                user=user, device_hash=device_hash(device_id) if device_id else ""
            )
            tokens = issue_tokens(user, session)
    if refusal is not None:
        raise refusal
    assert user is not None  # noqa: S101 - set on every path that did not raise
    return LoginResult(user=user, is_new_user=is_new_user, tokens=tokens)


def _refresh_claims(raw: str) -> dict[str, Any]:
    """The claims of a refresh token whose signature and expiry hold. Whether it was revoked
    is left to the caller: to a refresh a used token is a reuse, to a logout no matter."""
    try:
        payload: dict[str, Any] = token_backend.decode(raw, verify=True)  # type: ignore[arg-type]
    except TokenBackendError:
        raise InvalidToken("The token is not valid.") from None
    if payload.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh" or "exp" not in payload:
        raise InvalidToken("The token is not a refresh token.")
    return payload


def login_session_revoke(*, user: User, session_id: Any, reason: str) -> bool:
    """End one login session of `user`: its refresh and access tokens stop working, and its
    open chat sockets close after the commit; their other sessions go on. False when it
    had ended already (or is not theirs)."""
    ended = LoginSession.objects.filter(pk=session_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not ended:
        return False
    audit_record(
        actor=None,
        action="user.session_revoked",
        target=user,
        data={"session": str(session_id), "reason": reason},
    )
    hooks.session_revoked(user, str(session_id))
    return True


def auth_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: the old one is blacklisted as the new pair is issued, in the
    same login session.

    A token already rotated (or logged out) presented again means two parties hold the
    session's tokens, one of them a thief, and which is which cannot be told: the whole
    session ends (reuse detection, as the OAuth 2.0 Security BCP recommends). The session's
    row is locked first, so of two concurrent refreshes with one token one rotates, and the
    other then finds the token used and ends the session.
    """
    claims = _refresh_claims(refresh)
    if SESSION_CLAIM not in claims:
        return _refresh_legacy(claims)
    user = login_session_user(claims=claims)
    if user is None:
        raise InvalidToken("The token has been revoked.")
    with transaction.atomic():
        session = (
            login_sessions_for_update()
            .filter(pk=claims[SESSION_CLAIM], revoked_at__isnull=True)
            .first()
        )
        outstanding = (
            OutstandingToken.objects.filter(jti=claims.get(jwt_settings.JTI_CLAIM))
            .order_by("pk")
            .first()
        )
        if session is None or outstanding is None:
            raise InvalidToken("The token has been revoked.")
        reused = BlacklistedToken.objects.filter(token=outstanding).exists()
        if reused:
            logger.warning(
                "Refresh token reused; ending login session %s of user %s", session.pk, user.pk
            )
            login_session_revoke(user=user, session_id=session.pk, reason="refresh_token_reused")
        else:
            BlacklistedToken.objects.create(token=outstanding)
            session.refreshed_at = timezone.now()
            session.save(update_fields=("refreshed_at",))
            tokens = issue_tokens(user, session)
    # Raised after the commit: the session's end must be kept.
    if reused:
        raise InvalidToken("The token has been used already.")
    return tokens


def _refresh_legacy(claims: dict[str, Any]) -> dict[str, str]:
    """A refresh token issued before login sessions: rotated once into a new session (recorded
    with its `jti`), so its holder stays logged in. Presented again, it is a reuse as any other
    and ends that session."""
    jti, user_id = str(claims.get(jwt_settings.JTI_CLAIM, "")), claims.get(USER_ID_CLAIM)
    try:
        user = User.objects.filter(pk=str(user_id), is_active=True).first() if user_id else None
    except (ValueError, ValidationError):
        user = None
    if user is None or not jti or claims.get(TOKEN_VERSION_CLAIM) != user.token_version:
        raise InvalidToken("The token has been revoked.")
    with transaction.atomic():
        outstanding = outstanding_tokens_for_update().filter(jti=jti).order_by("pk").first()
        if outstanding is None:
            raise InvalidToken("The token has been revoked.")
        reused = BlacklistedToken.objects.filter(token=outstanding).exists()
        if reused:
            moved = LoginSession.objects.filter(user=user, legacy_jti=jti).first()
            if moved is not None:
                logger.warning(
                    "Refresh token reused; ending login session %s of user %s", moved.pk, user.pk
                )
                login_session_revoke(user=user, session_id=moved.pk, reason="refresh_token_reused")
        else:
            BlacklistedToken.objects.create(token=outstanding)
            tokens = issue_tokens(user, LoginSession.objects.create(user=user, legacy_jti=jti))
    if reused:
        raise InvalidToken("The token has been used already.")
    return tokens


def auth_logout(*, user: User, refresh: str) -> None:
    """End the login the refresh token belongs to: its refresh and access tokens stop and its
    chat sockets close, whoever holds them (one rotated by a thief included). A token already
    revoked is fine (a retried logout succeeds), so only the signature, expiry and type are
    checked, not the blacklist. The rows are locked in the order a refresh of the same token
    locks them."""
    payload = _refresh_claims(refresh)
    if str(payload.get(USER_ID_CLAIM)) != str(user.pk):
        raise InvalidToken("The token is not a refresh token of yours.")
    jti = str(payload.get(jwt_settings.JTI_CLAIM, ""))
    tokens = OutstandingToken.objects.filter(jti=jti).order_by("pk")
    sessions = login_sessions_for_update().filter(user=user)
    with transaction.atomic():
        if SESSION_CLAIM in payload:
            session = sessions.filter(pk=payload[SESSION_CLAIM]).first()
            outstanding = tokens.first()
        else:
            # From before sessions: the token's row, then the session it moved into, if any.
            outstanding = outstanding_tokens_for_update().filter(jti=jti).order_by("pk").first()
            session = sessions.filter(legacy_jti=jti).first() if jti else None
        if outstanding is not None:
            BlacklistedToken.objects.get_or_create(token=outstanding)
        if session is not None:
            login_session_revoke(user=user, session_id=session.pk, reason="logout")


def auth_logout_all(*, user: User) -> None:
    with transaction.atomic():
        user_revoke_all_tokens(user=user)
        audit_record(actor=user, action="user.logged_out_everywhere", target=user)
