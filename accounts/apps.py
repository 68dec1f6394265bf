from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import demo, schema, tasks  # noqa: F401 - tasks: registered in every process

        demo.register_demo_seeder(order=0, seeder=demo.seed_staff)
