from decimal import Decimal

from django.db import migrations

# Starting rates (National Bank of the Kyrgyz Republic, late 2026, rounded); staff keep them
# current in the admin.
RATES = {"KGS": Decimal("1"), "KZT": Decimal("0.170000"), "USD": Decimal("87.450000")}


def seed(apps, schema_editor):
    ExchangeRate = apps.get_model("listings", "ExchangeRate")
    for currency, rate in RATES.items():
        ExchangeRate.objects.get_or_create(currency=currency, defaults={"kgs_per_unit": rate})


class Migration(migrations.Migration):
    dependencies = [("listings", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
