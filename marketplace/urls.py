from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from listings.pages import home
from marketplace.api import views as api_views

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("business.urls")),
    path("", include("listings.urls")),
    path("", include("moderation.urls")),
    path("", include("promotions.urls")),
    path("", include("chat.urls")),
]


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on any page; the icon is a static file."""
    return HttpResponsePermanentRedirect(static_url("favicon.svg"))


urlpatterns = [
    path("", home, name="home"),
    path("favicon.ico", favicon),
    path("healthz", api_views.healthz, name="healthz"),
    path("readyz", api_views.readyz, name="readyz"),
    path("metrics", api_views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # ReDoc's sidebar shows Redocly's logo from their CDN: images from this site only, so the
    # docs page reaches no other host. Its search runs in a worker it makes from a blob: URL.
    path(
        "api/redoc/",
        csp_replace({"img-src": [SELF, "data:"], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="schema")
        ),
        name="api-redoc",
    ),
    path("api/v1/", include(api_v1)),
    path("", include("promotions.urls_checkout")),
    re_path(r"^api/", api_views.ApiNotFoundView.as_view(), name="api-not-found"),
]

if settings.DEBUG and not settings.AWS_STORAGE_BUCKET_NAME:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "marketplace.api.views.handler404"
handler500 = "marketplace.api.views.handler500"
