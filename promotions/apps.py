from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "promotions"
    verbose_name = _("Promotions")

    def ready(self) -> None:
        from accounts import hooks
        from accounts.demo import register_demo_seeder
        from core.metrics import register_scrape_gauges

        from . import tasks  # noqa: F401 - registered in every process
        from .demo import seed_promotions
        from .metrics import promotion_gauges
        from .purposes import register_purpose
        from .reports import promotion_figures, promotion_personal_data
        from .services.promotions import PURPOSE, PromotionPurpose
        from .subscriptions import PURPOSE as SUBSCRIPTION
        from .subscriptions import SubscriptionPurpose

        register_purpose(PURPOSE, PromotionPurpose())
        register_purpose(SUBSCRIPTION, SubscriptionPurpose())
        register_scrape_gauges(promotion_gauges)
        register_demo_seeder(order=40, seeder=seed_promotions)
        hooks.register_stats("promotions", promotion_figures)
        hooks.register_personal_data("payments", promotion_personal_data)
