"""Prices in every supported currency, at the exchange rates staff keep in the admin."""

from decimal import ROUND_HALF_UP, Decimal

from .models import Currency, ExchangeRate

CENT = Decimal("0.01")


def current_rates() -> dict[str, Decimal]:
    rates = {rate.currency: rate.kgs_per_unit for rate in ExchangeRate.objects.all()}
    rates.setdefault(Currency.KGS, Decimal(1))
    return rates


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
