"""WebSocket routes, mounted by marketplace.asgi behind the origin check."""

from django.urls import URLPattern, path

from .consumers import ChatConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/chat/", ChatConsumer.as_asgi()),
]
