"""`make test`: the real PostgreSQL and Redis (the local servers unless configured)."""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marketplace")
# Each xdist worker gets its own Redis database (1-15 of the server), so one worker's flush
# cannot hit another's keys. Overwritten, not defaulted: workers inherit the controller's env.
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_redis = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
os.environ["REDIS_URL"] = urlunsplit(_redis._replace(path=f"/{1 + _worker % 15}"))
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("JWT_SIGNING_KEY", "test-jwt-signing-key-0123456789abcdef")
os.environ.setdefault("LOG_FORMAT", "console")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from .base import *  # noqa: E402, F403
from .base import STORAGES  # noqa: E402

# Tasks run inline so a test sees their effect; a separate test proves the broker wiring.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
WHITENOISE_AUTOREFRESH = True  # no collectstatic before tests
WHITENOISE_USE_FINDERS = True  # static files straight from the apps, as under DEBUG
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The feed's shared first page would hide each test's own writes for its lifetime; the tests
# of that cache turn it on (listings/tests/test_feed_cache.py).
FEED_CACHE_SECONDS = 0
SMS_BACKEND = "locmem"
PUSH_BACKEND = "locmem"
# Never the real Anthropic API from tests, whatever the developer's environment holds.
ANTHROPIC_API_KEY = None
# Payments through the built-in provider, whatever the developer's environment enables.
PAYMENT_PROVIDERS = ["test"]
PAYMENT_DEFAULT_PROVIDER = "test"
PAYMENTS_WEBHOOK_SECRET = "test-payments-webhook-secret-0123456789abcdef"  # noqa: S105
