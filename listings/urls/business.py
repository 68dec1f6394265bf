"""Routes of this topic; mounted by listings.urls."""

from django.urls import URLPattern, path

from ..views import business

urlpatterns: list[URLPattern] = [
    path(
        "business/<uuid:pk>/listings/",
        business.BusinessListingsView.as_view(),
        name="business-listings",
    ),
]
