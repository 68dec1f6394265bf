from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib import admin

        from . import schema, tasks  # noqa: F401 - tasks: registered in every process
        from .admin_audit import audit_every_admin
        from .admin_login import rate_limit_admin_login

        # Last: every admin module was imported by contrib.admin, installed (and ready) first.
        audit_every_admin(admin.site)
        rate_limit_admin_login(admin.site)
