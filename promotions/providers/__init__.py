"""The payment providers, chosen by settings: `PAYMENT_PROVIDERS` lists the enabled codes,
`PAYMENT_DEFAULT_PROVIDER` starts new payments.

Providers are imported on first use, so a provider's module (and its dependencies) loads only
where it is enabled.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import PaymentProvider

# Every provider the code knows, by the code in its webhook URL.
PROVIDERS = {
    "test": "promotions.providers.test.TestProvider",
    "freedompay": "promotions.providers.freedompay.FreedomPayProvider",
}


class UnknownProvider(LookupError):
    """No such provider, or it is not enabled here."""


def get_provider(code: str) -> PaymentProvider:
    """The enabled provider with this code. Raises UnknownProvider."""
    if code not in settings.PAYMENT_PROVIDERS or code not in PROVIDERS:
        raise UnknownProvider(code)
    provider: PaymentProvider = import_string(PROVIDERS[code])()
    return provider


def default_provider() -> PaymentProvider:
    """The provider new payments go to. Raises UnknownProvider when none is enabled."""
    return get_provider(settings.PAYMENT_DEFAULT_PROVIDER or "")
