"""One ASGI application for HTTP (Django, behind the body limit) and WebSockets (Channels)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")
django_http = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from core.body_limit import BodyLimitMiddleware  # noqa: E402
from marketplace.ws import MobileFriendlyOriginValidator, allowed_origins  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_http),
        "websocket": MobileFriendlyOriginValidator(
            URLRouter(websocket_urlpatterns), allowed_origins()
        ),
    }
)
