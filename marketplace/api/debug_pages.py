from collections.abc import Callable

from django.conf import settings
from django.core.handlers.exception import get_exception_response
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver, get_urlconf, resolve
from django.utils.safestring import SafeString, mark_safe
from django.views.debug import ExceptionReporter

from core.client_ip import is_local_caller


class LocalDebugPagesMiddleware:
    """With DEBUG on, Django answers a 404 with its debug page, which lists every URL route;
    only the local machine gets it. Anyone else gets the 404 that DEBUG off gives (the error
    pages are `LocalExceptionReporter`'s).

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


PLAIN_ERROR_PAGE = (
    "<!doctype html><title>Error</title><h1>Error</h1><p>The request could not be served.</p>"
)


class LocalExceptionReporter(ExceptionReporter):
    """DEBUG's error pages (400 and 500: the traceback, local variables, settings) for the
    local machine only; anyone else gets a plain page of the same status, wherever the error
    was raised: a view, a middleware, the host check, the parsing of the body."""

    def get_traceback_html(self) -> SafeString:
        if self._for_local_caller():
            return super().get_traceback_html()
        return mark_safe(PLAIN_ERROR_PAGE)  # noqa: S308 - a constant of ours

    def get_traceback_text(self) -> SafeString:
        if self._for_local_caller():
            return super().get_traceback_text()
        return mark_safe("Error.")

    def _for_local_caller(self) -> bool:
        return self.request is None or is_local_caller(self.request)


def _hide_debug_pages(request: HttpRequest) -> bool:
    return settings.DEBUG and not is_local_caller(request)


def _plain_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    return get_exception_response(request, get_resolver(get_urlconf()), 404, exception)
