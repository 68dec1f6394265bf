"""PostgreSQL ignores statistics of partial expression indexes: without these it guesses
UPPER(city) = 'БИШКЕК' matches 0.5% of listings when it is over half, and picks a poor plan."""

from django.db import migrations

FORWARD = [
    "CREATE STATISTICS IF NOT EXISTS listing_city_upper_stats ON (upper(city)) "
    "FROM listings_listing",
    "CREATE STATISTICS IF NOT EXISTS listing_region_upper_stats ON (upper(region)) "
    "FROM listings_listing",
    "ANALYZE listings_listing",
]
BACKWARD = [
    "DROP STATISTICS IF EXISTS listing_city_upper_stats",
    "DROP STATISTICS IF EXISTS listing_region_upper_stats",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("listings", "0008_boosted_feed_index")]

    operations = [migrations.RunPython(forward, backward)]
