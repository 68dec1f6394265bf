from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.metrics import record_active_user, refresh_pool_gauges


class RequestMetricsMiddleware:
    """After each response: counts its user as active (DRF's authentication has set
    `request.user` by then) and refreshes this process's database pool gauges."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            record_active_user(user.pk)
        refresh_pool_gauges()
        return response
