from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION moderation_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'moderation events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER moderation_event_append_only
    BEFORE UPDATE OR DELETE ON moderation_moderationevent
    FOR EACH ROW EXECUTE FUNCTION moderation_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS moderation_event_append_only ON moderation_moderationevent;
DROP FUNCTION IF EXISTS moderation_event_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
