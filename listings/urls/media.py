"""Routes of this topic; mounted by listings.urls."""

from django.urls import URLPattern, path

from ..views import media

urlpatterns: list[URLPattern] = [
    path(
        "listings/<uuid:listing_id>/media/",
        media.ListingMediaView.as_view(),
        name="listing-media",
    ),
    path(
        "listings/<uuid:listing_id>/media/<uuid:media_id>/",
        media.ListingMediaItemView.as_view(),
        name="listing-media-item",
    ),
]
