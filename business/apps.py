from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BusinessConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "business"
    verbose_name = _("Business")

    def ready(self) -> None:
        from accounts import hooks

        from .selectors import businesses_of_user

        hooks.register_businesses(businesses_of_user)
