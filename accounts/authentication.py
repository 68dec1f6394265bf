from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from .models import User
from .tokens import TOKEN_VERSION_CLAIM


class JWTAuthentication(SimpleJWTAuthentication):
    """Bearer tokens, checked against the user's current state on every request.

    A banned, deleted or logged-out-everywhere user's unexpired tokens fail at once: the
    token's version must equal the user's.
    """

    def get_user(self, validated_token: Any) -> Any:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
            user = User.objects.get(pk=user_id)
        except (KeyError, ValueError, DjangoValidationError, User.DoesNotExist):
            raise InvalidToken(str(_("The token does not name a user."))) from None
        if not user.is_active or validated_token.get(TOKEN_VERSION_CLAIM) != user.token_version:
            raise InvalidToken(str(_("The token has been revoked.")))
        return user
