from typing import Any

from channels.security.websocket import OriginValidator
from django.conf import settings


class MobileFriendlyOriginValidator(OriginValidator):
    """Mobile apps send no Origin and are let through; a browser's Origin must be allowed."""

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return bool(super().valid_origin(parsed_origin))


def allowed_origins() -> list[str]:
    return [*settings.CORS_ALLOWED_ORIGINS, *settings.ALLOWED_HOSTS]
