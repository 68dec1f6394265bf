from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from .selectors import login_session_user


class JWTAuthentication(SimpleJWTAuthentication):
    """Bearer tokens, checked against the user's current state on every request.

    A banned, deleted or logged-out-everywhere user's unexpired tokens fail at once (the
    token's version must equal the user's), and so do those of an ended login session.
    """

    def get_user(self, validated_token: Any) -> Any:
        user = login_session_user(claims=validated_token)
        if user is None:
            raise InvalidToken(str(_("The token has been revoked.")))
        return user


class LogoutAuthentication(JWTAuthentication):
    """The logout endpoint's: an access token of a login that has ended still names its
    user there, so a retried logout (the first answer lost) gets the 204 the first one got.
    Logging out is all such a token can do."""

    def get_user(self, validated_token: Any) -> Any:
        user = login_session_user(claims=validated_token, ended=True)
        if user is None:
            raise InvalidToken(str(_("The token has been revoked.")))
        return user
