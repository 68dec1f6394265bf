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

    def user_of_ended_login(self, request: Any) -> Any:
        """The user of a valid bearer token whose login has ended (None for any other): the
        logout endpoint still knows them, so a retried logout gets the 204 the first one got.
        Logging out is all such a token can do."""
        header = self.get_header(request)
        raw = self.get_raw_token(header) if header is not None else None
        if raw is None:
            return None
        try:
            claims: Any = self.get_validated_token(raw)
        except InvalidToken:
            return None
        return login_session_user(claims=claims, ended=True)
