from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"
    verbose_name = _("Chat")

    def ready(self) -> None:
        from accounts import hooks
        from accounts.demo import register_demo_facts, register_demo_seeder

        from . import demo, reports, services

        hooks.register_tokens_revoked(services.sessions_revoked)
        hooks.register_session_revoked(services.login_session_revoked)
        hooks.register_stats("chat", reports.chat_figures)
        hooks.register_personal_data("chat", reports.chat_personal_data)
        register_demo_seeder(order=50, seeder=demo.seed_chat)
        register_demo_seeder(order=55, seeder=demo.seed_demo_buyer_chat)
        register_demo_facts(demo.chat_facts)
