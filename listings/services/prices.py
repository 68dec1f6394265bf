"""Exchange rates, and keeping every listing's converted prices in step with them."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DecimalField, F, Value, When
from django.db.models.functions import Round

from accounts.models import User
from accounts.services import audit_record
from core.tasks import enqueue_on_commit

from ..locks import exchange_rates_for_update
from ..models import Currency, ExchangeRate, Listing
from ..money import current_rates

BATCH = 5000


def exchange_rate_set(*, currency: str, kgs_per_unit: Decimal, actor: User | None) -> ExchangeRate:
    """Change a rate; every listing's `prices` is recomputed in the background after commit."""
    with transaction.atomic():
        rate, _created = exchange_rates_for_update().get_or_create(
            currency=currency, defaults={"kgs_per_unit": kgs_per_unit}
        )
        previous = rate.kgs_per_unit
        rate.kgs_per_unit = kgs_per_unit
        rate.save()
        audit_record(
            actor=actor,
            action="exchange_rate.changed",
            target=rate,
            data={"currency": currency, "from": str(previous), "to": str(kgs_per_unit)},
        )
        enqueue_on_commit("listings.recompute_prices")
    return rate


def _in_kgs(rates: dict[str, Decimal]) -> Case:
    money = DecimalField(max_digits=30, decimal_places=10)
    return Case(
        *[When(currency=code, then=F("price") * Value(rates[code])) for code in Currency.values],
        output_field=money,
    )


def listings_recompute_prices() -> int:
    """Recompute the converted prices of every listing at the current rates, in batches.

    One UPDATE per batch of primary keys, so a million listings never sit in memory and no
    lock is held for long. Idempotent: running it twice (or concurrently) gives the same result.
    """
    rates = current_rates()
    in_kgs = _in_kgs(rates)
    updated = 0
    last = None
    while True:
        keys = Listing.objects.order_by("pk")
        if last is not None:
            keys = keys.filter(pk__gt=last)
        batch = list(keys.values_list("pk", flat=True)[:BATCH])
        if not batch:
            return updated
        updated += Listing.objects.filter(pk__in=batch).update(
            price_kgs=Round(in_kgs, 2),
            price_kzt=Round(in_kgs / Value(rates["KZT"]), 2),
            price_usd=Round(in_kgs / Value(rates["USD"]), 2),
        )
        last = batch[-1]
