"""Routes of this topic; mounted by listings.urls."""

from django.urls import URLPattern, path

from ..views import engagement

urlpatterns: list[URLPattern] = [
    path("listings/<uuid:pk>/favorite/", engagement.FavoriteView.as_view(), name="favorite"),
    path("listings/<uuid:pk>/phone/", engagement.PhoneRevealView.as_view(), name="phone-reveal"),
    path("listings/<uuid:pk>/report/", engagement.ReportView.as_view(), name="report"),
    path("me/favorites/", engagement.MyFavoritesView.as_view(), name="my-favorites"),
]
