"""The admin of plans (core.offers.Offer): staff edit prices, names and what is on sale."""

from typing import Any

from django.http import HttpRequest

from accounts.admin_audit import AuditedModelAdmin
from core.offers import offer_save


class OfferAdmin(AuditedModelAdmin):
    list_editable = ("is_active", "position")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The code is what the app sends and purchases point at: fixed once created.
        return ("code",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        offer_save(offer=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # kept for what was bought on it; take it off sale instead
