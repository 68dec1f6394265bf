"""Routes of this topic; mounted by listings.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
