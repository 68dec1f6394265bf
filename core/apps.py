from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel every app builds on: the error shape, shared API pieces, metrics, the
    prepared-query helper and task helpers. It knows no domain and imports no other app."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"
