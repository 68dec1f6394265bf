"""The listings API routes: the listings themselves here, each other topic in its module."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from ..views import feed, listings

router = SimpleRouter()
router.register("listings", listings.ListingViewSet, basename="listing")

urlpatterns = [
    path("me/listings/", listings.MyListingsView.as_view(), name="my-listings"),
    # Before the router: its detail route would take "feed" for an id.
    path("listings/feed/", feed.FeedView.as_view(), name="listing-feed"),
    path("", include("listings.urls.media")),
    path("", include("listings.urls.engagement")),
    path("", include("listings.urls.reference")),
    path("", include("listings.urls.business")),
    *router.urls,
]
