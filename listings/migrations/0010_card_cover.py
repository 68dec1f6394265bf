from django.db import migrations, models

# The cover as listings.services.media stores it on every media change; one statement that
# PostgreSQL and SQLite both run.
COPY_COVERS = """
UPDATE listings_listing SET
    cover_video = COALESCE((
        SELECT CASE WHEN m.rendition <> '' THEN m.rendition ELSE m.file END
        FROM listings_listingmedia m
        WHERE m.listing_id = listings_listing.id AND m.kind = 'video'
        ORDER BY m.position, m.created_at LIMIT 1), ''),
    cover_poster = COALESCE((
        SELECT m.poster FROM listings_listingmedia m
        WHERE m.listing_id = listings_listing.id AND m.kind = 'video'
        ORDER BY m.position, m.created_at LIMIT 1), ''),
    cover_image = COALESCE((
        SELECT m.file FROM listings_listingmedia m
        WHERE m.listing_id = listings_listing.id AND m.kind <> 'video'
        ORDER BY m.position, m.created_at LIMIT 1), '')
WHERE EXISTS (SELECT 1 FROM listings_listingmedia m WHERE m.listing_id = listings_listing.id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0009_city_statistics"),
    ]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="cover_image",
            field=models.CharField(blank=True, default="", editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="listing",
            name="cover_poster",
            field=models.CharField(blank=True, default="", editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="listing",
            name="cover_video",
            field=models.CharField(blank=True, default="", editable=False, max_length=200),
        ),
        migrations.RunSQL(COPY_COVERS, migrations.RunSQL.noop, elidable=True),
    ]
