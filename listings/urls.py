from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("listings", views.ListingViewSet, basename="listing")

urlpatterns = [
    path("me/listings/", views.MyListingsView.as_view(), name="my-listings"),
    *router.urls,
]
