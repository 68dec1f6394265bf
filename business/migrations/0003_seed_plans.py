from decimal import Decimal

from django.conf import settings
from django.db import migrations

# code: (months, price by currency, Russian, Kyrgyz and English names). Priced per currency
# rather than converted at a stored rate: the rates are kept by `listings`, above `business`.
# Staff change prices and names in the admin.
PLANS = {
    "business_monthly": (
        1,
        {"KGS": Decimal("2500"), "KZT": Decimal("14000"), "USD": Decimal("29")},
        "Бизнес на месяц",
        "Бир айлык бизнес",
        "Business, monthly",
    ),
    "business_yearly": (
        12,
        {"KGS": Decimal("25000"), "KZT": Decimal("140000"), "USD": Decimal("290")},
        "Бизнес на год",
        "Бир жылдык бизнес",
        "Business, yearly",
    ),
}


def seed(apps, schema_editor):
    """The two subscription plans, priced in PAYMENT_CURRENCY."""
    SubscriptionPlan = apps.get_model("business", "SubscriptionPlan")
    currency = settings.PAYMENT_CURRENCY
    for position, (code, (months, prices, name, name_ky, name_en)) in enumerate(PLANS.items()):
        SubscriptionPlan.objects.get_or_create(
            code=code,
            defaults={
                "months": months,
                "price": prices[currency],
                "currency": currency,
                "name": name,
                "name_ky": name_ky,
                "name_en": name_en,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("business", "0002_teams_invitations_subscriptions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
