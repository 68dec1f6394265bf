from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "listings"
    verbose_name = _("Listings")

    def ready(self) -> None:
        from accounts import hooks
        from accounts.demo import register_demo_seeder
        from business import hooks as business_hooks

        from . import price_tasks, tasks  # noqa: F401 - registered in every process
        from .demo import seed_listings
        from .demo_business import seed_business_listings
        from .selectors import personal_quota
        from .services.business_hooks import BusinessListings
        from .services.listings import archive_personal_listings

        register_demo_seeder(order=20, seeder=seed_listings)
        register_demo_seeder(order=25, seeder=seed_business_listings)
        hooks.register_listing_quota(personal_quota)
        hooks.register_deletion_cleanup(archive_personal_listings)
        business_hooks.register_listings(BusinessListings())
