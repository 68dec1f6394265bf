"""PostgreSQL-only search indexes (the embedded SQLite of `make run` has neither)."""

from django.db import migrations

FORWARD = [
    # Typo-tolerant fallback search compares trigrams of titles.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # `q` matches the stored tsvector: a GIN index answers @@ without reading rows.
    "CREATE INDEX IF NOT EXISTS listing_search_vector_idx ON listings_listing "
    "USING gin (search_vector) WHERE status = 'active'",
    # `title % q` (similarity) for the typo fallback.
    "CREATE INDEX IF NOT EXISTS listing_title_trgm_idx ON listings_listing "
    "USING gin (title gin_trgm_ops) WHERE status = 'active'",
]
BACKWARD = [
    "DROP INDEX IF EXISTS listing_title_trgm_idx",
    "DROP INDEX IF EXISTS listing_search_vector_idx",
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
    dependencies = [("listings", "0005_feed_and_search")]

    operations = [migrations.RunPython(forward, backward)]
