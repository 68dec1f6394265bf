"""The admin's login page, behind the fail-closed security limits (`accounts.ratelimit`).

Each password attempt (a POST) counts against the caller's address first, then against the
account it names (the phone, normalised, so other spellings of it share the budget). Over
either: 429 with `Retry-After`; when the counters cannot be reached: 503. The page itself
(GET) is free.

A browser that has logged in to the account before holds a signed device cookie naming it
(OWASP's "device cookies"): its attempts count against that cookie's own budget instead of
the account's, so strangers guessing the password cannot lock the staff member out.
"""

import secrets
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse

from core.client_ip import client_ip
from core.errors import RateLimited, ServiceUnavailable, error_body

from .phone import normalize_phone
from .ratelimit import Limit, hit

HOUR = 3600
DEVICE_COOKIE = "admin_device"
DEVICE_COOKIE_SALT = "accounts.admin_login.device"
DEVICE_COOKIE_MAX_AGE = 90 * 24 * HOUR


def _account_key(username: str) -> str:
    # As the login form reads it (NFKC: "¹" is "1"), so every spelling of one account counts
    # against its one limit.
    username = unicodedata.normalize("NFKC", username)
    try:
        return normalize_phone(username)
    except ValidationError:
        return username.strip().lower()[:64]


def _known_device(request: HttpRequest, account: str) -> str | None:
    """The id of this browser's device cookie, if it was set by a login to `account`."""
    try:
        value = request.get_signed_cookie(
            DEVICE_COOKIE, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_MAX_AGE
        )
    except (KeyError, signing.BadSignature):
        return None
    cookie_account, _, device = str(value).rpartition(":")
    return device if cookie_account == account and device else None


def login_limits(request: HttpRequest) -> list[Limit]:
    limits = [
        Limit(f"admin-login:ip:{client_ip(request)}", settings.ADMIN_LOGIN_PER_IP_PER_HOUR, HOUR)
    ]
    username = request.POST.get("username", "")
    if username.strip():
        account = _account_key(username)
        device = _known_device(request, account)
        key = f"admin-login:device:{device}" if device else f"admin-login:account:{account}"
        limits.append(Limit(key, settings.ADMIN_LOGIN_PER_ACCOUNT_PER_HOUR, HOUR))
    return limits


def _remember_device(request: HttpRequest, response: HttpResponse) -> None:
    account = _account_key(request.POST.get("username", ""))
    response.set_signed_cookie(
        DEVICE_COOKIE,
        f"{account}:{secrets.token_urlsafe(16)}",
        salt=DEVICE_COOKIE_SALT,
        max_age=DEVICE_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def rate_limit_admin_login(site: AdminSite) -> None:
    """Wrap `site.login`. Run before the admin's URLs are built (they take `site.login` then):
    accounts' ready() does, and the URLconf is imported after every app is ready."""
    login: Callable[..., HttpResponse] = site.login

    @wraps(login)
    def limited_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.method != "POST":
            return login(request, extra_context)
        try:
            hit(*login_limits(request))
        except (RateLimited, ServiceUnavailable) as exc:
            body = error_body(exc.code, exc.message)
            return JsonResponse(body, status=exc.status_code, headers=exc.headers)
        response = login(request, extra_context)
        if request.user.is_authenticated and response.status_code == 302:
            _remember_device(request, response)
        return response

    site.login = limited_login  # type: ignore[method-assign]
