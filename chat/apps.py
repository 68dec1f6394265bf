from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"
    verbose_name = _("Chat")

    def ready(self) -> None:
        from accounts import hooks

        from . import services

        hooks.register_tokens_revoked(services.sessions_revoked)
        hooks.register_session_revoked(services.login_session_revoked)
