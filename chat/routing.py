"""WebSocket routes, mounted by marketplace.asgi. The chat issue adds /ws/chat/."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
