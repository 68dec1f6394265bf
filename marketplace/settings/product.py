"""The product's settings: currencies, legal documents, login codes, push, listings, business
accounts, payments and moderation. Part of base.py."""

from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_choice, env_debug, env_int, env_list, env_optional_str, env_str

# --- Product ----------------------------------------------------------------------------------

CURRENCIES = ("KZT", "KGS", "USD")
DEFAULT_CURRENCY = env_choice("DEFAULT_CURRENCY", CURRENCIES, "KZT")
PAYMENT_CURRENCY = env_choice("PAYMENT_CURRENCY", CURRENCIES, "KGS")

# --- Legal documents (the versions in force; a new version asks every user to consent again) ---

LEGAL_DOCUMENTS = {
    "offer_agreement": {
        "version": env_str("LEGAL_OFFER_AGREEMENT_VERSION", "2026-01"),
        "url": env_str("LEGAL_OFFER_AGREEMENT_URL", "https://360.kg/legal/offer"),
        "required": True,
    },
    "personal_data_processing": {
        "version": env_str("LEGAL_PERSONAL_DATA_VERSION", "2026-01"),
        "url": env_str("LEGAL_PERSONAL_DATA_URL", "https://360.kg/legal/personal-data"),
        "required": True,
    },
    "marketing_communications": {
        "version": env_str("LEGAL_MARKETING_VERSION", "2026-01"),
        "url": env_str("LEGAL_MARKETING_URL", "https://360.kg/legal/marketing"),
        "required": False,
    },
}

# --- Login by SMS code ------------------------------------------------------------------------

OTP_TTL_SECONDS = 300
OTP_RESEND_SECONDS = 60
OTP_MAX_ATTEMPTS = 5
OTP_PER_PHONE_PER_HOUR = env_int("OTP_PER_PHONE_PER_HOUR", 5, minimum=1)
OTP_PER_IP_PER_HOUR = env_int("OTP_PER_IP_PER_HOUR", 20, minimum=1)
# Login codes an hour for an app install that logged in to the phone's account before
# (`device_id`), counted apart from the phone's limit, which strangers can use up.
OTP_PER_KNOWN_DEVICE_PER_HOUR = env_int("OTP_PER_KNOWN_DEVICE_PER_HOUR", 10, minimum=1)
OTP_VERIFY_PER_IP_PER_HOUR = env_int("OTP_VERIFY_PER_IP_PER_HOUR", 60, minimum=1)
# A ceiling on all SMS sent, against a bot spraying codes at many numbers.
SMS_GLOBAL_PER_MINUTE = env_int("SMS_GLOBAL_PER_MINUTE", 120, minimum=1)
# Password attempts on the admin's login page (accounts.admin_login), per address and per
# account an hour; like the OTP limits they fail closed.
ADMIN_LOGIN_PER_IP_PER_HOUR = env_int("ADMIN_LOGIN_PER_IP_PER_HOUR", 20, minimum=1)
ADMIN_LOGIN_PER_ACCOUNT_PER_HOUR = env_int("ADMIN_LOGIN_PER_ACCOUNT_PER_HOUR", 10, minimum=1)

SMS_BACKEND = env_choice("SMS_BACKEND", ("console", "locmem", "http"), "console")
# The `http` backend: Nikita's SMS gateway (smspro.nikita.kg) or one speaking its XML API.
SMS_HTTP_URL = env_str("SMS_HTTP_URL", "https://smspro.nikita.kg/api/message")
SMS_HTTP_LOGIN = env_optional_str("SMS_HTTP_LOGIN")
SMS_HTTP_PASSWORD = env_optional_str("SMS_HTTP_PASSWORD")
SMS_HTTP_SENDER = env_str("SMS_HTTP_SENDER", "360.kg")
SMS_HTTP_TIMEOUT_SECONDS = env_int("SMS_HTTP_TIMEOUT_SECONDS", 10, minimum=1)
if SMS_BACKEND == "http" and not (SMS_HTTP_LOGIN and SMS_HTTP_PASSWORD):
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_LOGIN and SMS_HTTP_PASSWORD.")

# --- Push notifications -----------------------------------------------------------------------

PUSH_BACKEND = env_choice("PUSH_BACKEND", ("expo", "locmem", "console"), "console")
EXPO_ACCESS_TOKEN = env_optional_str("EXPO_ACCESS_TOKEN")

# --- Listings ---------------------------------------------------------------------------------

# The feed's and search's first page, shared by every caller for this many seconds (0: off).
FEED_CACHE_SECONDS = env_int("FEED_CACHE_SECONDS", 2, minimum=0)

PERSONAL_LISTING_LIMIT = 5

# --- Business accounts ------------------------------------------------------------------------

# Days a lapsed subscription stays `past_due` (listings untouched) before it is `canceled`
# and the business's listings beyond PERSONAL_LISTING_LIMIT are paused.
BUSINESS_GRACE_PERIOD_DAYS = env_int("BUSINESS_GRACE_PERIOD_DAYS", 7, minimum=0)

# --- Payments ---------------------------------------------------------------------------------

# The providers enabled here (each has a webhook at /api/v1/payments/webhook/<code>/), and the
# one new payments go to. `test` completes payments on a page of our own: development only.
PAYMENT_PROVIDER_CODES = ("test", "freedompay")
PAYMENT_PROVIDERS = env_list("PAYMENT_PROVIDERS", ["test"] if env_debug() else [])
if unknown_providers := sorted(set(PAYMENT_PROVIDERS) - set(PAYMENT_PROVIDER_CODES)):
    raise ImproperlyConfigured(
        f"PAYMENT_PROVIDERS: unknown {', '.join(unknown_providers)}; "
        f"expected some of {', '.join(PAYMENT_PROVIDER_CODES)}."
    )
PAYMENT_DEFAULT_PROVIDER = (
    env_choice("PAYMENT_DEFAULT_PROVIDER", tuple(PAYMENT_PROVIDERS), PAYMENT_PROVIDERS[0])
    if PAYMENT_PROVIDERS
    else None
)
# Signs the `test` provider's callbacks (HMAC-SHA256 of the body, header X-Signature).
PAYMENTS_WEBHOOK_SECRET: str | None = None
if "test" in PAYMENT_PROVIDERS:
    if env_debug():
        PAYMENTS_WEBHOOK_SECRET = env_str(
            "PAYMENTS_WEBHOOK_SECRET", "insecure-development-payments-webhook-secret"
        )
    else:
        PAYMENTS_WEBHOOK_SECRET = env_str("PAYMENTS_WEBHOOK_SECRET")
        if len(PAYMENTS_WEBHOOK_SECRET) < 32:
            raise ImproperlyConfigured(
                "PAYMENTS_WEBHOOK_SECRET must be at least 32 characters when DEBUG is off."
            )
# Production refuses the `test` provider unless this says it is wanted (a staging server).
PAYMENTS_ALLOW_TEST_PROVIDER = env_bool("PAYMENTS_ALLOW_TEST_PROVIDER", False)

# The `freedompay` payment provider (promotions/providers/freedompay.py). Merchant id, secret
# key and result URL are required once it is used.
FREEDOMPAY_MERCHANT_ID = env_optional_str("FREEDOMPAY_MERCHANT_ID")
FREEDOMPAY_SECRET_KEY = env_optional_str("FREEDOMPAY_SECRET_KEY")
FREEDOMPAY_API_URL = env_str("FREEDOMPAY_API_URL", "https://api.freedompay.kg")
# Test payments (FreedomPay's test cards) unless told otherwise, while developing.
FREEDOMPAY_TESTING_MODE = env_bool("FREEDOMPAY_TESTING_MODE", env_debug())
# Our webhook as FreedomPay reaches it: https://<public host>/api/v1/payments/webhook/freedompay/
FREEDOMPAY_RESULT_URL = env_optional_str("FREEDOMPAY_RESULT_URL")
# Where the payer lands after paying or failing; unset, the merchant cabinet's pages.
FREEDOMPAY_SUCCESS_URL = env_optional_str("FREEDOMPAY_SUCCESS_URL")
FREEDOMPAY_FAILURE_URL = env_optional_str("FREEDOMPAY_FAILURE_URL")
FREEDOMPAY_TIMEOUT_SECONDS = env_int("FREEDOMPAY_TIMEOUT_SECONDS", 10, minimum=1)
if "freedompay" in PAYMENT_PROVIDERS and not (
    FREEDOMPAY_MERCHANT_ID and FREEDOMPAY_SECRET_KEY and FREEDOMPAY_RESULT_URL
):
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDERS=freedompay needs FREEDOMPAY_MERCHANT_ID, FREEDOMPAY_SECRET_KEY and "
        "FREEDOMPAY_RESULT_URL."
    )

# --- Moderation -------------------------------------------------------------------------------

# The AI pre-check uses Anthropic's API when a key is set, built-in rules otherwise.
ANTHROPIC_API_KEY = env_optional_str("ANTHROPIC_API_KEY")
MODERATION_AI_MODEL = env_str("MODERATION_AI_MODEL", "claude-haiku-4-5")
MODERATION_AI_TIMEOUT_SECONDS = env_int("MODERATION_AI_TIMEOUT_SECONDS", 20, minimum=1)
MODERATION_AI_MAX_RETRIES = env_int("MODERATION_AI_MAX_RETRIES", 3, minimum=0)
# Off by default: only a human publishes. Set to a risk score (e.g. 20) to publish listings
# the pre-check approves below it.
MODERATION_AUTO_APPROVE_BELOW = env_int("MODERATION_AUTO_APPROVE_BELOW", None, minimum=1)
