import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from core.db import Row, Values, columns_of, instance_of, prepared_rows

from .models import Consent, ConsentKind, LoginSession, User
from .tokens import SESSION_CLAIM, TOKEN_VERSION_CLAIM

_TITLES = {
    ConsentKind.OFFER_AGREEMENT: _("Public offer agreement"),
    ConsentKind.PERSONAL_DATA_PROCESSING: _("Consent to personal data processing"),
    ConsentKind.MARKETING_COMMUNICATIONS: _("Consent to marketing communications"),
}


@dataclass(frozen=True)
class LegalDocument:
    kind: str
    version: str
    title: str
    url: str
    required: bool


def legal_documents_in_force() -> list[LegalDocument]:
    """The documents users accept, at the versions configured in settings.LEGAL_DOCUMENTS."""
    configured = settings.LEGAL_DOCUMENTS
    return [
        LegalDocument(
            kind=kind.value,
            version=str(configured[kind.value]["version"]),
            title=str(_TITLES[kind]),
            url=str(configured[kind.value]["url"]),
            required=bool(configured[kind.value]["required"]),
        )
        for kind in ConsentKind
    ]


@dataclass(frozen=True)
class ConsentState:
    kind: str
    accepted: bool
    version: str | None
    accepted_at: datetime | None


def consent_current(*, user: User) -> list[ConsentState]:
    """The latest decision per document (history is kept; the newest counts)."""
    latest: dict[str, Consent] = {}
    for decision in Consent.objects.filter(user=user).order_by("kind", "-created_at", "-id"):
        latest.setdefault(decision.kind, decision)
    return [
        ConsentState(
            kind=kind.value,
            accepted=latest[kind.value].accepted if kind.value in latest else False,
            version=latest[kind.value].version if kind.value in latest else None,
            accepted_at=latest[kind.value].created_at if kind.value in latest else None,
        )
        for kind in ConsentKind
    ]


def consent_is_required(*, user: User) -> bool:
    """True when a required document changed version since the user accepted it (or never did)."""
    current = {state.kind: state for state in consent_current(user=user)}
    return any(
        not current[document.kind].accepted or current[document.kind].version != document.version
        for document in legal_documents_in_force()
        if document.required
    )


_USER = columns_of(User)


def login_session_user(*, claims: Mapping[str, Any], ended: bool = False) -> User | None:
    """The user a validated token names, while the token still counts: the user is active,
    their token version is the token's, and the token's login session has not ended (or, with
    `ended`, whether it has or not).

    Every authenticated request and chat message asks it: its statement is compiled once
    (`core.db.prepared_rows`)."""
    session_id, user_id = claims.get(SESSION_CLAIM), claims.get(jwt_settings.USER_ID_CLAIM)
    if session_id is None or user_id is None:
        return None
    try:
        ids = {"session": uuid.UUID(str(session_id)), "user": uuid.UUID(str(user_id))}
    except ValueError:
        return None

    def build(values: Values) -> QuerySet[LoginSession, Row]:
        sessions = LoginSession.objects.filter(
            pk=values.uuid("session"), user_id=values.uuid("user")
        )
        if not ended:
            sessions = sessions.filter(revoked_at__isnull=True)
        return sessions.values(*(f"user__{name}" for name in _USER))

    found = prepared_rows(("login session user", ended), build, ids)
    if not found:
        return None
    user = instance_of(User, found[0], _USER, "user__")
    if not user.is_active or claims.get(TOKEN_VERSION_CLAIM) != user.token_version:
        return None
    return user
