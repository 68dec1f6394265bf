from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "listings"
    verbose_name = _("Listings")

    def ready(self) -> None:
        from accounts import hooks
        from business import hooks as business_hooks
        from core.metrics import register_scrape_gauges

        from . import tasks  # noqa: F401 - registered in every process
        from .metrics import status_gauges
        from .selectors import personal_quota
        from .services.business_hooks import BusinessListings
        from .services.listings import (
            archive_personal_listings,
            archive_personal_listings_of_banned,
        )

        hooks.register_listing_quota(personal_quota)
        hooks.register_deletion_cleanup(archive_personal_listings)
        hooks.register_ban_cleanup(archive_personal_listings_of_banned)
        business_hooks.register_listings(BusinessListings())
        register_scrape_gauges(status_gauges)
