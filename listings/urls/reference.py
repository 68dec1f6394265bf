"""Routes of this topic; mounted by listings.urls."""

from django.urls import URLPattern, path

from ..views import reference

urlpatterns: list[URLPattern] = [
    path("reference/", reference.ReferenceView.as_view(), name="reference"),
]
