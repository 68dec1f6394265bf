from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "listings"
    verbose_name = _("Listings")

    def ready(self) -> None:
        from accounts import hooks
        from accounts.demo import (
            DemoAccount,
            register_demo_accounts,
            register_demo_facts,
            register_demo_seeder,
        )
        from business import hooks as business_hooks
        from core.metrics import register_scrape_gauges

        from . import price_tasks, tasks  # noqa: F401 - registered in every process
        from .demo import SELLERS, listing_facts, seed_demo_seller_and_buyer, seed_listings
        from .demo_business import seed_business_listings
        from .demo_catalogue import DEMO_USERS, seed_catalogue
        from .metrics import status_gauges
        from .reports import listing_figures, listing_personal_data
        from .selectors import personal_quota
        from .services.business_hooks import BusinessListings
        from .services.listings import (
            archive_personal_listings,
            archive_personal_listings_of_banned,
        )
        from .services.purge import media_purge

        register_demo_seeder(order=20, seeder=seed_listings)
        register_demo_seeder(order=25, seeder=seed_business_listings)
        register_demo_seeder(order=30, seeder=seed_catalogue)
        register_demo_seeder(order=35, seeder=seed_demo_seller_and_buyer)
        register_demo_accounts(
            order=20,
            accounts=(DemoAccount(phone, "private seller") for phone, *_ in SELLERS.values()),
        )
        register_demo_accounts(
            order=30,
            accounts=(DemoAccount(phone, "private seller and buyer") for phone, *_ in DEMO_USERS),
        )
        register_demo_facts(listing_facts)
        hooks.register_listing_quota(personal_quota)
        hooks.register_deletion_cleanup(archive_personal_listings)
        hooks.register_ban_cleanup(archive_personal_listings_of_banned)
        hooks.register_stats("listings", listing_figures)
        hooks.register_personal_data("listings", listing_personal_data)
        hooks.register_purge_step("orphaned listing media", media_purge)
        business_hooks.register_listings(BusinessListings())
        register_scrape_gauges(status_gauges)
