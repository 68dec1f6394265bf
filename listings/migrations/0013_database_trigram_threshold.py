"""Search's typo fallback needs a word similarity threshold of 0.4 (PostgreSQL's default of 0.6
misses most typos). Set on the database itself, every session has it, also through a
transaction pooler, which refuses the connection's own `options` (docs/operations.md)."""

from django.db import migrations

SET = (
    "DO $$ BEGIN EXECUTE format("
    "'ALTER DATABASE %I SET pg_trgm.word_similarity_threshold = 0.4', current_database()"
    "); END $$"
)
RESET = (
    "DO $$ BEGIN EXECUTE format("
    "'ALTER DATABASE %I RESET pg_trgm.word_similarity_threshold', current_database()"
    "); END $$"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SET, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESET, params=None)


class Migration(migrations.Migration):
    dependencies = [("listings", "0012_listing_title_upper_idx")]

    operations = [migrations.RunPython(forward, backward)]
