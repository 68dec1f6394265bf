from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BusinessConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "business"
    verbose_name = _("Business")

    def ready(self) -> None:
        from accounts import hooks
        from accounts.demo import register_demo_accounts, register_demo_seeder
        from core.metrics import register_scrape_gauges

        from . import tasks  # noqa: F401 - registered in every process
        from .demo import demo_business_accounts, seed_businesses
        from .metrics import business_gauges
        from .reports import business_figures, business_personal_data
        from .selectors import businesses_of_user
        from .services.purge import invitations_purge, logos_purge
        from .services.team import memberships_check_deletion, memberships_end_for_deleted_user

        hooks.register_businesses(businesses_of_user)
        hooks.register_deletion_guard(memberships_check_deletion)
        hooks.register_deletion_cleanup(memberships_end_for_deleted_user)
        register_scrape_gauges(business_gauges)
        register_demo_seeder(order=15, seeder=seed_businesses)
        register_demo_accounts(order=15, accounts=demo_business_accounts())
        hooks.register_stats("businesses", business_figures)
        hooks.register_personal_data("business", business_personal_data)
        hooks.register_purge_step("expired invitations", invitations_purge)
        hooks.register_purge_step("orphaned logos", logos_purge)
