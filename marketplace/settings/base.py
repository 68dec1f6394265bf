"""Settings shared by every environment; every value that varies comes from the environment
through `env.py`. `local.py`, `test.py` and `production.py` adjust defaults around this. The
database is in `database.py`, the API's settings in `api.py`, the product's (codes, quota,
payments, moderation) in `product.py`; all are part of this module."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from redis.exceptions import ConnectionError as RedisConnectionError

from marketplace.logging import build_logging_config

from .database import DATABASE_URL, DATABASES  # noqa: F401 - settings of this module
from .env import (
    env_bool,
    env_choice,
    env_debug,
    env_int,
    env_list,
    env_networks,
    env_optional_str,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# --- Core -------------------------------------------------------------------------------------

DEBUG = env_debug()
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-never-use-in-production")
else:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_prometheus",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "core",
    "accounts",
    "business",
    "listings",
    "moderation",
    "promotions",
    "chat",
    # The wiring at the top: the staff commands, the site-wide icon (marketplace/static).
    "marketplace",
]

# Sessions, the admin's authentication and messages run for the admin and the pages, not for
# /api/ (marketplace.api.middleware.pages_only). CSRF stays whole: Django's deploy check looks
# for it by name, and the API's views, all exempt, cost it one attribute read. Responses are
# compressed by the proxy in production (deploy/nginx/), by GZipMiddleware under `make run`.
MIDDLEWARE = [
    "marketplace.api.request_metrics.RequestMetricsMiddleware",
    "marketplace.api.middleware.RequestIdMiddleware",
    "marketplace.api.middleware.ApiHostMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "marketplace.api.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "marketplace.api.middleware.PageSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "marketplace.api.middleware.PageAuthenticationMiddleware",
    "marketplace.api.middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "marketplace.api.debug_pages.LocalDebugPagesMiddleware",
]
# DEBUG's error pages answer the local machine only (marketplace/api/debug_pages.py).
DEFAULT_EXCEPTION_REPORTER = "marketplace.api.debug_pages.LocalExceptionReporter"

ROOT_URLCONF = "marketplace.urls"
ASGI_APPLICATION = "marketplace.asgi.application"
WSGI_APPLICATION = "marketplace.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Ahead of every app's templates (marketplace, installed last, would come after
        # drf_spectacular's): the project's overrides, such as drf_spectacular/redoc.html.
        "DIRS": [BASE_DIR / "marketplace" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Database ---------------------------------------------------------------------------------


# --- Redis: cache, channel layer, Celery broker -----------------------------------------------

REDIS_URL = env_optional_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mp",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis's, able to send to several groups in two round trips.
            "BACKEND": "core.channel_layer.RedisChannelLayer",
            # A worker's sockets share one queue in Redis, and a full queue drops messages
            # silently: the default of 100 loses events when a busy worker falls behind.
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # A connection Redis dropped (a restart) is retried once on a fresh
                        # one, so sockets do not fail for connections that died idle.
                        "retry_on_error": [RedisConnectionError],
                        "socket_connect_timeout": 2,
                        # Above the 5 s a worker blocks reading its queue (channels-redis's
                        # BZPOPMIN): redis-py's default of 5 s times that read out, and an idle
                        # socket died after 5 s.
                        "socket_timeout": 10,
                    }
                ],
                "prefix": "mp:ws",
                "capacity": 5000,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache",
            "LOCATION": "marketplace",
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery -----------------------------------------------------------------------------------

# Eager tasks still open a broker connection to publish; an in-memory one with a host named
# keeps kombu from warning about a missing hostname.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
# Without a broker, tasks run in the process that sends them (the `make run` default).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest task, so an acks_late task is not redelivered while it runs.
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# A request must not hang on a dead broker: try briefly, then log; the periodic sweeps
# re-enqueue what was missed.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Three queues, each consumed by workers of its own (docker-compose.yml, `make worker`), so a
# login code or a payment never waits behind a video's encode. Unlisted tasks (moderation, the
# other periodic sweeps) go to `default`.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "accounts.send_sms": {"queue": "critical"},
    "accounts.send_push": {"queue": "critical"},
    "promotions.expire_unpaid_payments": {"queue": "critical"},
    "listings.process_video": {"queue": "media"},
}
# Where a worker serves its task metrics for Prometheus (marketplace.celery_metrics); unset, it
# serves none. Not CELERY_-prefixed: Celery reads those settings as its own.
WORKER_METRICS_PORT = env_int("CELERY_METRICS_PORT", None, minimum=1)
# Every periodic task of the project, in one place.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "listings-requeue-pending-videos": {
        "task": "listings.requeue_pending_videos",
        "schedule": timedelta(minutes=10),
    },
    "moderation-requeue-missing-prechecks": {
        "task": "moderation.requeue_missing_prechecks",
        "schedule": timedelta(minutes=5),
    },
    # An ended promotion stops counting within a minute; unpaid payments expire after 30.
    "promotions-expire-promotions": {
        "task": "promotions.expire_promotions",
        "schedule": timedelta(minutes=1),
    },
    "promotions-expire-unpaid-payments": {
        "task": "promotions.expire_unpaid_payments",
        "schedule": timedelta(minutes=1),
    },
    # Ended subscription periods turn past_due, and canceled after the grace period.
    "business-lapse-subscriptions": {
        "task": "business.lapse_subscriptions",
        "schedule": timedelta(minutes=10),
    },
}

# --- API (REST_FRAMEWORK and SPECTACULAR_SETTINGS are in api.py) ---------------------------------

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=30),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": (
        env_str("JWT_SIGNING_KEY", "insecure-development-jwt-key-0123456789abcdef")
        if DEBUG
        else env_str("JWT_SIGNING_KEY")
    ),
    "USER_ID_FIELD": "id",
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "USER_ID_CLAIM": "userId",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}
if not DEBUG and SIMPLE_JWT["SIGNING_KEY"] == SECRET_KEY:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from SECRET_KEY.")
if not DEBUG and len(str(SIMPLE_JWT["SIGNING_KEY"])) < 32:
    # HS256 with a short key can be brute-forced offline from any one token.
    raise ImproperlyConfigured("JWT_SIGNING_KEY must be at least 32 characters when DEBUG is off.")

# Bodies are refused before Django reads them (core.body_limit): the first
# matching path pattern sets the limit, else REQUEST_BODY_MAX_BYTES.
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 1024 * 1024, minimum=1024)
AVATAR_MAX_BYTES = 5 * 1024 * 1024
BUSINESS_LOGO_MAX_BYTES = 5 * 1024 * 1024
# A listing's media (listings.services.media): a larger file answers 413.
MEDIA_VIDEO_MAX_BYTES = 200 * 1024 * 1024
MEDIA_IMAGE_MAX_BYTES = 15 * 1024 * 1024
# A longer video, or one of more frames (60 a second by default), is refused at upload as
# ffprobe measures it; its rendition never runs past the duration either.
VIDEO_MAX_DURATION_SECONDS = env_int("VIDEO_MAX_DURATION_SECONDS", 180, minimum=1)
VIDEO_MAX_FRAMES = env_int("VIDEO_MAX_FRAMES", VIDEO_MAX_DURATION_SECONDS * 60, minimum=1)
# Pictures (photos, avatars, logos) one process decodes at once: each may take a few hundred MB.
IMAGE_DECODE_CONCURRENCY = env_int("IMAGE_DECODE_CONCURRENCY", 2, minimum=1)
REQUEST_BODY_LIMITS: list[tuple[str, int]] = [
    (r"^/admin/", 20 * 1024 * 1024),
    (r"^/api/v1/me/avatar/$", AVATAR_MAX_BYTES + 64 * 1024),  # room for multipart framing
    (r"^/api/v1/business/[^/]+/logo/$", BUSINESS_LOGO_MAX_BYTES + 64 * 1024),
    (r"^/api/v1/listings/[^/]+/media/$", MEDIA_VIDEO_MAX_BYTES + 1024 * 1024),
]
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES

# --- Security headers, CORS -------------------------------------------------------------------

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The HTML served is the admin (user-written titles and descriptions, escaped), the API docs
# and, under DEBUG, the test payment page: scripts only from here, never inline; inline styles
# stay (the admin's widgets use them). Photos and videos may come from the storage's or CDN's
# https host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "https:"],
        "media-src": [SELF, "https:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("ky", _("Kyrgyz")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Bishkek")

# --- Static and media files -------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG

AWS_STORAGE_BUCKET_NAME = env_optional_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env_optional_str("AWS_S3_ENDPOINT_URL")
    AWS_S3_REGION_NAME = env_optional_str("AWS_S3_REGION_NAME")
    AWS_S3_CUSTOM_DOMAIN = env_optional_str("AWS_S3_CUSTOM_DOMAIN")
    AWS_ACCESS_KEY_ID = env_optional_str("AWS_ACCESS_KEY_ID")
    AWS_SECRET_ACCESS_KEY = env_optional_str("AWS_SECRET_ACCESS_KEY")
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = False
    AWS_QUERYSTRING_AUTH = env_bool("AWS_QUERYSTRING_AUTH", not AWS_S3_CUSTOM_DOMAIN)
    _media_storage: dict[str, Any] = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Operations -------------------------------------------------------------------------------

METRICS_TOKEN = env_optional_str("METRICS_TOKEN")
PROMETHEUS_EXPORT_MIGRATIONS = False
LOG_LEVEL = env_choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO")
LOG_FORMAT = env_choice("LOG_FORMAT", ("json", "console"), "console" if DEBUG else "json")
LOGGING = build_logging_config(json_lines=LOG_FORMAT == "json", level=LOG_LEVEL)
if CELERY_TASK_ALWAYS_EAGER:
    # Each eager task would log a "succeeded" line in the web process; failures still show.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}

# Each area's own settings, in a module of its own; they read the environment themselves.
from .api import *  # noqa: E402, F403
from .product import *  # noqa: E402, F403
