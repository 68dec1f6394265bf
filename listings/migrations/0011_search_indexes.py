"""Indexes for price order within a category (and a city), and statistics that let
PostgreSQL see how the details' filters go together: without them it takes make "Honda" and
model "Fit" for independent and expects ten times fewer rows than there are, and picks the
plan for a rare car."""

import django.db.models.functions.text
from django.db import migrations, models

STATISTICS = {
    "car_make_model_stats": "upper(make), upper(model) FROM listings_cardetails",
    "horse_breed_sex_stats": "upper(breed), sex, purpose FROM listings_horsedetails",
    "estate_kind_stats": "property_type, deal_type, rooms FROM listings_realestatedetails",
    "listing_category_city_stats": "category, upper(city) FROM listings_listing",
}
TABLES = (
    "listings_cardetails",
    "listings_horsedetails",
    "listings_realestatedetails",
    "listings_listing",
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, target in STATISTICS.items():
            schema_editor.execute(
                f"CREATE STATISTICS IF NOT EXISTS {name} (dependencies, ndistinct, mcv) ON {target}",
                params=None,
            )
        for table in TABLES:
            schema_editor.execute(f"ANALYZE {table}", params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in STATISTICS:
            schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [("listings", "0010_card_cover")]

    operations = [
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                models.F("category"),
                models.F("price_kgs"),
                models.F("id"),
                condition=models.Q(("status", "active")),
                name="listing_cat_price_kgs_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                models.F("category"),
                models.F("price_kzt"),
                models.F("id"),
                condition=models.Q(("status", "active")),
                name="listing_cat_price_kzt_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                models.F("category"),
                models.F("price_usd"),
                models.F("id"),
                condition=models.Q(("status", "active")),
                name="listing_cat_price_usd_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                models.F("category"),
                django.db.models.functions.text.Upper("city"),
                models.F("price_kgs"),
                models.F("id"),
                condition=models.Q(("status", "active")),
                name="listing_cat_city_price_kgs_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                models.F("category"),
                django.db.models.functions.text.Upper("city"),
                models.F("price_kzt"),
                models.F("id"),
                condition=models.Q(("status", "active")),
                name="listing_cat_city_price_kzt_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                models.F("category"),
                django.db.models.functions.text.Upper("city"),
                models.F("price_usd"),
                models.F("id"),
                condition=models.Q(("status", "active")),
                name="listing_cat_city_price_usd_idx",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
