"""JWTs with the contract's claims, the token version that revokes them all at once, and the
login session that revokes one login's."""

from typing import Any

from rest_framework_simplejwt.tokens import RefreshToken

from .models import LoginSession, User

TOKEN_VERSION_CLAIM = "ver"  # noqa: S105 - a claim name, not a secret
SESSION_CLAIM = "sid"


class SessionRefreshToken(RefreshToken):
    """Refresh token carrying `userId`, `role`, `phone`, the user's token version and the id
    of the login session it belongs to (a new one unless given).

    The access token derived from it copies those claims. Role and phone are for the app's
    convenience: authentication reads role and state from the database on every request.
    """

    @classmethod
    def for_user(cls, user: Any, session: LoginSession | None = None) -> "SessionRefreshToken":
        if session is None:
            session = LoginSession.objects.create(user=user)
        token = super().for_user(user)
        token["role"] = user.role
        token["phone"] = user.phone
        token[TOKEN_VERSION_CLAIM] = user.token_version
        token[SESSION_CLAIM] = str(session.pk)
        return token  # type: ignore[return-value]


def issue_tokens(user: User, session: LoginSession | None = None) -> dict[str, str]:
    refresh = SessionRefreshToken.for_user(user, session)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
