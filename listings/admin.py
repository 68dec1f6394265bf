from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedModelAdmin
from accounts.api import request_user

from .models import CarDetails, ExchangeRate, HorseDetails, Listing, ListingMedia, RealEstateDetails
from .services.prices import exchange_rate_set


class DetailsInline(admin.StackedInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CarDetailsInline(DetailsInline):
    model = CarDetails


class HorseDetailsInline(DetailsInline):
    model = HorseDetails


class RealEstateDetailsInline(DetailsInline):
    model = RealEstateDetails


class MediaInline(admin.TabularInline):
    model = ListingMedia
    extra = 0
    fields = ("preview", "kind", "position", "processing", "duration_s")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("preview"))
    def preview(self, media: ListingMedia) -> str:
        source = media.rendition or media.file
        if media.kind == "video":
            poster = media.poster.url if media.poster else ""
            return format_html(
                '<video src="{}" poster="{}" controls preload="metadata" width="240"></video>',
                source.url,
                poster,
            )
        thumbnail = media.thumbnail or media.file
        return format_html('<a href="{}"><img src="{}" width="160"></a>', source.url, thumbnail.url)


INLINES_BY_CATEGORY = {
    "car": CarDetailsInline,
    "horse": HorseDetailsInline,
    "real_estate": RealEstateDetailsInline,
}


@admin.register(Listing)
class ListingAdmin(AuditedModelAdmin):
    """Staff read listings here; status changes go through moderation's actions, not edits."""

    list_display = (
        "title",
        "category",
        "status",
        "price",
        "currency",
        "city",
        "business",
        "created_at",
    )
    list_filter = ("category", "status", "city", "business")
    search_fields = ("title", "description", "author__phone", "id")
    list_select_related = ("business", "author")
    date_hierarchy = "created_at"
    readonly_fields = (
        "author",
        "business",
        "category",
        "status",
        "price_kgs",
        "price_kzt",
        "price_usd",
        "views_count",
        "favorites_count",
        "phone_reveals_count",
        "boosted_until",
        "client_id",
        "rejection_code",
        "rejection_note",
        "created_at",
        "updated_at",
        "published_at",
    )

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return (INLINES_BY_CATEGORY[obj.category], MediaInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # listings are created by their sellers, through the app

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExchangeRate)
class ExchangeRateAdmin(AuditedModelAdmin):
    list_display = ("currency", "kgs_per_unit", "updated_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ExchangeRate, form: Any, change: bool) -> None:
        exchange_rate_set(
            currency=obj.currency,
            kgs_per_unit=obj.kgs_per_unit,
            actor=request_user(request),
        )
