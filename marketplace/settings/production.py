"""Production: DEBUG off, HTTPS behind a proxy, secrets required (see README)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEBUG, PAYMENT_PROVIDERS, PAYMENTS_ALLOW_TEST_PROVIDER
from .env import env_bool, env_int

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production settings.")
if "test" in PAYMENT_PROVIDERS and not PAYMENTS_ALLOW_TEST_PROVIDER:
    # Whoever holds its secret can mark any payment paid.
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDERS enables `test` in production; set PAYMENTS_ALLOW_TEST_PROVIDER=true "
        "if that is really wanted (a staging server)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Probes and the Prometheus scraper talk plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
