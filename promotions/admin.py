"""Staff's view of plans (editable), promotions and payments (read-only; a refund made at the
provider is recorded with an action that goes through the payment service, audited)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import ReadOnlyAdmin
from accounts.admin_offers import OfferAdmin
from accounts.api import request_user

from .models import Payment, PaymentEvent, Plan, Promotion
from .services.payments import payment_mark_refunded


@admin.register(Plan)
class PlanAdmin(OfferAdmin):
    list_display = ("code", "name", "days", "price", "currency", "is_active", "position")


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    extra = 0
    fields = ("received_at", "provider", "event_id", "status", "amount", "currency", "applied")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "purpose",
        "amount",
        "currency",
        "status",
        "provider",
        "payer",
        "created_at",
    )
    list_filter = ("status", "purpose", "provider", "currency")
    search_fields = ("id", "provider_reference", "payer__phone")
    list_select_related = ("payer",)
    date_hierarchy = "created_at"
    inlines = (PaymentEventInline,)
    actions = ("mark_refunded",)

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("promotions.change_payment"))

    @admin.action(
        description=_("Mark refunded (the money was returned at the provider)"),
        permissions=("refund",),
    )
    def mark_refunded(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        refunded = skipped = 0
        for payment in queryset:
            if payment_mark_refunded(payment=payment, actor=request_user(request)):
                refunded += 1
            else:
                skipped += 1
        if refunded:
            self.message_user(
                request,
                _("%(count)d payment(s) marked refunded.") % {"count": refunded},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _("%(count)d payment(s) skipped: only a succeeded payment can be refunded.")
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Promotion)
class PromotionAdmin(ReadOnlyAdmin):
    list_display = ("id", "listing", "plan", "status", "starts_at", "ends_at", "user")
    list_filter = ("status", "plan")
    search_fields = ("id", "listing__title", "user__phone", "payment__id")
    list_select_related = ("listing", "user")
    raw_id_fields = ("listing", "user", "payment")
