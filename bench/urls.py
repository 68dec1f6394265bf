"""The application's URLs plus `/bench/floor/`, the benchmark's lower bound."""

from django.urls import include, path

from bench.floor import floor_view

urlpatterns = [
    path("bench/floor/", floor_view, name="bench-floor"),
    path("", include("marketplace.urls")),
]

handler404 = "marketplace.api.views.handler404"
handler500 = "marketplace.api.views.handler500"
