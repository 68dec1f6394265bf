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
