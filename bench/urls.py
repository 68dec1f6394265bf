"""The application's URLs plus `/api/bench/floor/`, the benchmark's lower bound: under `/api/`, so
it takes the API's path through the middleware, as the feed does."""

from django.urls import include, path

from bench.floor import floor_view

urlpatterns = [
    path("api/bench/floor/", floor_view, name="bench-floor"),
    path("", include("marketplace.urls")),
]

handler404 = "marketplace.api.views.handler404"
handler500 = "marketplace.api.views.handler500"
