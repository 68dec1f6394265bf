import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    """The creator of an existing business: the user whose trial it took, else its first
    admin."""
    Business = apps.get_model("business", "Business")
    Membership = apps.get_model("business", "Membership")
    for business in Business.objects.filter(created_by__isnull=True).iterator():
        creator = business.trial_user_id or (
            Membership.objects.filter(business=business, role="admin")
            .order_by("joined_at", "id")
            .values_list("user_id", flat=True)
            .first()
        )
        if creator:
            Business.objects.filter(pk=business.pk).update(created_by_id=creator)


class Migration(migrations.Migration):
    dependencies = [
        ("business", "0003_seed_plans"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="business",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="created by",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
