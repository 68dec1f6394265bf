from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    """The wiring at the top: the project-wide staff commands, the site's static files and
    templates. It has no models."""

    name = "marketplace"
    verbose_name = "Marketplace"
