from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import migrations

# code: (days, price in KGS, Russian, Kyrgyz and English names). Staff change them in the admin.
PLANS = {
    "boost_3": (3, Decimal("200"), "Поднятие на 3 дня", "3 күнгө көтөрүү", "Boost for 3 days"),
    "boost_7": (7, Decimal("400"), "Поднятие на 7 дней", "7 күнгө көтөрүү", "Boost for 7 days"),
    "boost_30": (
        30,
        Decimal("1200"),
        "Поднятие на 30 дней",
        "30 күнгө көтөрүү",
        "Boost for 30 days",
    ),
}


def seed(apps, schema_editor):
    """The three boosts, priced in PAYMENT_CURRENCY (converted from KGS at the stored rate)."""
    Plan = apps.get_model("promotions", "Plan")
    ExchangeRate = apps.get_model("listings", "ExchangeRate")
    currency = settings.PAYMENT_CURRENCY
    rate = Decimal(1)
    if currency != "KGS":
        rate = ExchangeRate.objects.get(currency=currency).kgs_per_unit
    for position, (code, (days, kgs, name, name_ky, name_en)) in enumerate(PLANS.items()):
        Plan.objects.get_or_create(
            code=code,
            defaults={
                "days": days,
                "price": (kgs / rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                "currency": currency,
                "name": name,
                "name_ky": name_ky,
                "name_en": name_en,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("promotions", "0001_initial"),
        ("listings", "0002_seed_exchange_rates"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
