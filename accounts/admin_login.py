"""The admin's login page, behind the fail-closed security limits (`accounts.ratelimit`).

Each password attempt (a POST) counts against the caller's address and against the account it
names (the phone, normalised, so other spellings of it share the budget). Over either: 429
with `Retry-After`; when the counters cannot be reached: 503. The page itself (GET) is free.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse

from marketplace.api.client_ip import client_ip
from marketplace.api.errors import RateLimited, ServiceUnavailable, error_body

from .phone import normalize_phone
from .ratelimit import Limit, hit

HOUR = 3600


def _account_key(username: str) -> str:
    try:
        return normalize_phone(username)
    except ValidationError:
        return username.strip().lower()[:64]


def login_limits(request: HttpRequest) -> list[Limit]:
    limits = [
        Limit(f"admin-login:ip:{client_ip(request)}", settings.ADMIN_LOGIN_PER_IP_PER_HOUR, HOUR)
    ]
    username = request.POST.get("username", "")
    if username.strip():
        limits.append(
            Limit(
                f"admin-login:account:{_account_key(username)}",
                settings.ADMIN_LOGIN_PER_ACCOUNT_PER_HOUR,
                HOUR,
            )
        )
    return limits


def rate_limit_admin_login(site: AdminSite) -> None:
    """Wrap `site.login`. Run before the admin's URLs are built (they take `site.login` then):
    accounts' ready() does, and the URLconf is imported after every app is ready."""
    login: Callable[..., HttpResponse] = site.login

    @wraps(login)
    def limited_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.method == "POST":
            try:
                hit(*login_limits(request))
            except (RateLimited, ServiceUnavailable) as exc:
                body = error_body(exc.code, exc.message)
                return JsonResponse(body, status=exc.status_code, headers=exc.headers)
        return login(request, extra_context)

    site.login = limited_login  # type: ignore[method-assign]
