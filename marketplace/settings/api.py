"""The API's settings: Django REST framework (authentication, throttle rates, errors) and the
OpenAPI schema drf-spectacular builds. Part of base.py."""

from .env import env_str

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ("accounts.authentication.JWTAuthentication",),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "DEFAULT_RENDERER_CLASSES": ("rest_framework.renderers.JSONRenderer",),
    # Everything is JSON but uploads, whose views take multipart themselves: a form post to a
    # JSON endpoint would read an empty field as "not sent" and skip its validation.
    "DEFAULT_PARSER_CLASSES": ("core.parsers.JSONParser",),
    "DEFAULT_FILTER_BACKENDS": ("django_filters.rest_framework.DjangoFilterBackend",),
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": (
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
        "core.throttling.ScopedRateThrottle",
    ),
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON_RATE", "300/min"),
        "user": env_str("THROTTLE_USER_RATE", "600/min"),
        # Abuse limits on writes (a view's `throttle_scope`), per user; see README "Rate limits".
        "listing_write": env_str("THROTTLE_LISTING_WRITE_RATE", "120/hour"),
        "report": env_str("THROTTLE_REPORT_RATE", "20/hour"),
        "upload": env_str("THROTTLE_UPLOAD_RATE", "300/hour"),
        "invitation": env_str("THROTTLE_INVITATION_RATE", "30/hour"),
        "business_create": env_str("THROTTLE_BUSINESS_CREATE_RATE", "3/day"),
    },
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "360 Marketplace API",
    "DESCRIPTION": (
        "The API the 360 Marketplace mobile app codes against. Errors always have the shape "
        '`{"error": {"code", "message", "fields"?}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UserRoleEnum": "accounts.models.Role.choices",
        "BusinessRoleEnum": "accounts.api.BUSINESS_ROLES",
        "ConsentKindEnum": "accounts.models.ConsentKind.choices",
        "MediaKindEnum": "listings.models.MediaKind.choices",
        "ReportReasonEnum": "listings.models.ReportReason.choices",
        "PromotionStatusEnum": "promotions.models.PromotionStatus.choices",
        "PaymentStatusEnum": "promotions.models.PaymentStatus.choices",
        "ListingStatusEnum": "listings.models.Status.choices",
        "InvitationStatusEnum": "business.models.InvitationStatus.choices",
        "SubscriptionStatusEnum": "business.models.SubscriptionStatus.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
    ],
    # Swagger UI and ReDoc from the project's own static files (drf-spectacular-sidecar): the
    # docs work with no internet, and the pages load nothing from another site.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
