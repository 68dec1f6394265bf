from django.contrib import admin

from .models import Business, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)
    readonly_fields = ("joined_at",)


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "phone", "verified", "subscription_status", "created_at")
    list_filter = ("verified", "subscription_status")
    search_fields = ("name", "slug", "phone")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (MembershipInline,)
