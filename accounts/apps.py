from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.apps import apps
        from django.contrib import admin

        from . import demo, hooks, schema, tasks  # noqa: F401 - tasks: registered in every process
        from .admin_audit import audit_every_admin
        from .admin_login import rate_limit_admin_login
        from .reports import user_figures, user_personal_data
        from .services import purge

        demo.register_demo_seeder(order=0, seeder=demo.seed_staff)
        demo.register_demo_seeder(order=90, seeder=demo.seed_consents)
        demo.register_demo_accounts(order=0, accounts=demo.STAFF_ACCOUNTS)
        hooks.register_stats("users", user_figures)
        hooks.register_personal_data("account", user_personal_data)
        hooks.register_purge_step("expired login codes", purge.phone_codes_purge)
        if apps.is_installed("rest_framework_simplejwt.token_blacklist"):
            hooks.register_purge_step("expired refresh tokens", purge.tokens_purge)
        hooks.register_purge_step("ended login sessions", purge.login_sessions_purge)
        hooks.register_purge_step("orphaned avatars", purge.avatars_purge)
        # Last: every admin module was imported by contrib.admin, installed (and ready) first.
        audit_every_admin(admin.site)
        rate_limit_admin_login(admin.site)
