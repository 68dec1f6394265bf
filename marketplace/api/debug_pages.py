from collections.abc import Callable

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.handlers.exception import get_exception_response
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, get_resolver, get_urlconf, resolve
from django.utils.log import log_response

from .client_ip import is_local_caller


class LocalDebugPagesMiddleware:
    """With DEBUG on, Django answers a 404 with its debug page, which lists every URL route,
    and a view's error with one showing its traceback and settings; only the local machine
    gets them. Anyone else gets the 404, 400 or 500 page that DEBUG off gives.

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
        if not _hide_debug_pages(request) or isinstance(exception, PermissionDenied):
            return None  # the 403 page shows nothing of the server, DEBUG or not
        if isinstance(exception, Http404):
            return _plain_404(request, exception)
        # Django's debug 400 and 500 pages show the traceback, local variables and settings.
        resolver = get_resolver(get_urlconf())
        if isinstance(exception, BadRequest | SuspiciousOperation | MultiPartParserError):
            response = get_exception_response(request, resolver, 400, exception)
        else:
            signals.got_request_exception.send(sender=None, request=request)
            response = resolver.resolve_error_handler(500)(request)
        log_response(
            "%s: %s",
            response.reason_phrase,
            request.path,
            response=response,
            request=request,
            exception=exception,
        )
        return response


def _hide_debug_pages(request: HttpRequest) -> bool:
    return settings.DEBUG and not is_local_caller(request)


def _plain_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    return get_exception_response(request, get_resolver(get_urlconf()), 404, exception)
