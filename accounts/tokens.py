"""JWTs with the contract's claims, and the token version that revokes them all at once."""

from typing import Any

from rest_framework_simplejwt.tokens import RefreshToken

from .models import User

TOKEN_VERSION_CLAIM = "ver"  # noqa: S105 - a claim name, not a secret


class SessionRefreshToken(RefreshToken):
    """Refresh token carrying `userId`, `role`, `phone` and the user's token version.

    The access token derived from it copies those claims. They are for the app's convenience:
    authentication reads role and state from the database on every request.
    """

    @classmethod
    def for_user(cls, user: Any) -> "SessionRefreshToken":
        token = super().for_user(user)
        token["role"] = user.role
        token["phone"] = user.phone
        token[TOKEN_VERSION_CLAIM] = user.token_version
        return token  # type: ignore[return-value]


def issue_tokens(user: User) -> dict[str, str]:
    refresh = SessionRefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
