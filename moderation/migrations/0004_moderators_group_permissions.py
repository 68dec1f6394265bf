"""The Moderators group gets exactly what the review console needs, and nothing else.

Run again (or after someone clicked extra rights into the group) it sets the same list: the
group's permissions are replaced, not added to.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATORS_GROUP = "Moderators"

# (app label, model, codename): "change" on the review queue is what lets a moderator run
# its actions; everything else is read-only. Nothing on users, payments, settings or rates.
PERMISSIONS = (
    ("moderation", "reviewitem", "view_reviewitem"),
    ("moderation", "reviewitem", "change_reviewitem"),
    ("moderation", "moderationevent", "view_moderationevent"),
    ("listings", "listing", "view_listing"),
    ("listings", "listingmedia", "view_listingmedia"),
    ("listings", "report", "view_report"),
)


def _create_missing_permissions(apps):
    # Django creates permissions after `migrate` (post_migrate); a fresh database has none of
    # the rows yet when this runs. The documented way to have them now:
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def set_moderators_permissions(apps, schema_editor):
    _create_missing_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = []
    for app_label, model, codename in PERMISSIONS:
        wanted.append(
            Permission.objects.get(
                content_type__app_label=app_label, content_type__model=model, codename=codename
            )
        )
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    group.permissions.set(wanted)


def clear_moderators_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name=MODERATORS_GROUP):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_audit_data_encoder"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("listings", "0007_review_requested_at"),
        ("moderation", "0003_review_item"),
    ]

    operations = [
        migrations.RunPython(set_moderators_permissions, clear_moderators_permissions),
    ]
