"""Prices in every supported currency, at the exchange rates staff keep in the admin."""

from decimal import ROUND_HALF_UP, Decimal

from .models import Currency, ExchangeRate

CENT = Decimal("0.01")
# Used for a currency staff have not given a rate (the data migration seeds these too).
FALLBACK_RATES = {"KGS": Decimal("1"), "KZT": Decimal("0.170000"), "USD": Decimal("87.450000")}


def current_rates() -> dict[str, Decimal]:
    stored = {rate.currency: rate.kgs_per_unit for rate in ExchangeRate.objects.all()}
    return {**FALLBACK_RATES, **stored, "KGS": Decimal(1)}


def converted_prices(
    price: Decimal, currency: str, rates: dict[str, Decimal] | None = None
) -> dict[str, Decimal]:
    """`price` in `currency` → `{"KGS": ..., "KZT": ..., "USD": ...}`, rounded to cents."""
    rates = rates if rates is not None else current_rates()
    in_kgs = price * rates[currency]
    return {
        code: (in_kgs / rates[code]).quantize(CENT, rounding=ROUND_HALF_UP)
        for code in Currency.values
    }


def price_column(currency: str) -> str:
    """The stored converted-price column that filters and sorts in `currency` use."""
    return f"price_{currency.lower()}"
