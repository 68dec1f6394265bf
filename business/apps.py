from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BusinessConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "business"
    verbose_name = _("Business")

    def ready(self) -> None:
        from accounts import hooks
        from core.metrics import register_scrape_gauges

        from . import tasks  # noqa: F401 - registered in every process
        from .metrics import business_gauges
        from .selectors import businesses_of_user
        from .services.team import memberships_check_deletion, memberships_end_for_deleted_user

        hooks.register_businesses(businesses_of_user)
        hooks.register_deletion_guard(memberships_check_deletion)
        hooks.register_deletion_cleanup(memberships_end_for_deleted_user)
        register_scrape_gauges(business_gauges)
