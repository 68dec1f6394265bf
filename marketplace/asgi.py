"""One ASGI application for HTTP (Django, behind the body limit) and WebSockets (Channels)."""

import gc
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

# A chat worker keeps every open socket's objects for as long as the socket lives, thousands
# of them, and CPython's full collections walk them all: with 2,000 sockets open they paused
# the worker for 100-300 ms every few seconds, the chat's slowest 1% of messages
# (docs/performance.md, "Chat"). What startup made is frozen out of the collections, and the
# youngest objects are collected every 50,000 allocations instead of 700, so the full
# collections, which follow from the young ones, come about 70 times less often.
gc.freeze()
gc.set_threshold(50_000, 10, 10)
