from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "promotions"
    verbose_name = _("Promotions")

    def ready(self) -> None:
        from core.metrics import register_scrape_gauges

        from . import tasks  # noqa: F401 - registered in every process
        from .metrics import promotion_gauges
        from .purposes import register_purpose
        from .services.promotions import PURPOSE, PromotionPurpose
        from .services.subscriptions import PURPOSE as SUBSCRIPTION
        from .services.subscriptions import SubscriptionPurpose

        register_purpose(PURPOSE, PromotionPurpose())
        register_purpose(SUBSCRIPTION, SubscriptionPurpose())
        register_scrape_gauges(promotion_gauges)
