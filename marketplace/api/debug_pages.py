from collections.abc import Callable

from django.conf import settings
from django.core.handlers.exception import get_exception_response
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver, get_urlconf, resolve

from .client_ip import client_ip, is_loopback


class LocalDebugPagesMiddleware:
    """With DEBUG on, Django answers a 404 with its debug page, which lists every URL route;
    only the local machine gets it. Anyone else gets the 404 that DEBUG off gives.

    Django picks the debug page itself (`response_for_exception`) and never calls
    `handler404` while DEBUG is on, so the miss is caught here first: an unknown path before
    the URL resolver raises, and a view's Http404 in `process_exception`. Placed after
    CommonMiddleware, whose APPEND_SLASH redirect still applies to the 404.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _hide_debug_pages(request):
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return _plain_404(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404) and _hide_debug_pages(request):
            return _plain_404(request, exception)
        return None


def _hide_debug_pages(request: HttpRequest) -> bool:
    return settings.DEBUG and not is_loopback(client_ip(request))


def _plain_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    return get_exception_response(request, get_resolver(get_urlconf()), 404, exception)
