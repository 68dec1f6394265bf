"""Staff's view of businesses: the profile (edited through the services, audited), the team
inline (every addition, role change and removal goes through the team services: audited, and
the last admin stays), the verified mark by action only, the subscription read-only, and the
invitations and orders as recorded."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedModelAdmin, ReadOnly, ReadOnlyAdmin
from accounts.admin_offers import OfferAdmin
from accounts.api import request_user
from accounts.phone import normalize_phone
from core.errors import DomainError

from .models import (
    Business,
    Invitation,
    MemberRole,
    Membership,
    SubscriptionOrder,
    SubscriptionPlan,
)
from .services.profile import PROFILE_FIELDS, business_set_verified, business_update
from .services.team import member_add, member_remove, member_set_role


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0


class MembershipFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        admins = 0
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            if form.instance.pk is not None and "user" in form.changed_data:
                raise ValidationError(_("Remove the member and add the new one instead."))
            user = form.cleaned_data.get("user")
            if form.cleaned_data.get("role") == MemberRole.ADMIN and user and user.is_active:
                admins += 1
        if admins == 0 and any(form.cleaned_data for form in self.forms):
            raise ValidationError(_("A business needs at least one admin."))


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 1
    autocomplete_fields = ("user",)
    fields = ("user", "role", "joined_at")
    readonly_fields = ("joined_at",)


class InvitationInline(ReadOnlyInline):
    model = Invitation
    fields = ("phone", "role", "status", "invited_by", "created_at", "expires_at", "decided_at")
    readonly_fields = fields
    ordering = ("-created_at",)


class SubscriptionOrderInline(ReadOnlyInline):
    model = SubscriptionOrder
    fields = ("plan", "status", "buyer", "period_start", "period_end", "payment_id", "created_at")
    readonly_fields = fields
    ordering = ("-created_at",)


class BusinessForm(forms.ModelForm):
    class Meta:
        model = Business
        fields = PROFILE_FIELDS

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone") or ""
        return normalize_phone(phone) if phone else ""


@admin.register(Business)
class BusinessAdmin(AuditedModelAdmin):
    form = BusinessForm
    list_display = (
        "name",
        "city",
        "verified",
        "subscription_status",
        "current_period_end",
        "created_at",
    )
    list_filter = ("verified", "subscription_status", "subscription_plan")
    search_fields = ("name", "slug", "phone")
    readonly_fields = (
        "slug",
        "logo",
        "verified",
        "subscription_status",
        "subscription_plan",
        "current_period_end",
        "past_due_since",
        "trial_user",
        "created_by",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "phone", "city", "logo", "verified")}),
        (
            _("Subscription"),
            {
                "fields": (
                    "subscription_status",
                    "subscription_plan",
                    "current_period_end",
                    "past_due_since",
                    "trial_user",
                )
            },
        ),
        (_("Dates"), {"fields": ("created_by", "created_at", "updated_at")}),
    )
    inlines = (MembershipInline, InvitationInline, SubscriptionOrderInline)
    actions = ("verify", "unverify")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A business is created in the app by its owner, who becomes its admin and takes
        # their one trial; staff edit, verify and manage teams.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # its listings, orders and audit history point at it

    def save_model(self, request: HttpRequest, obj: Business, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in form.changed_data}
        business_update(business=obj, actor=request_user(request), data=data)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            formset.save()  # the read-only inlines: nothing changes, the change message reads it
            return
        business, actor = form.instance, request_user(request)
        formset.save(commit=False)
        # New admins first and removals last, so replacing the only admin in one save works.
        changed = sorted(
            (membership for membership, _fields in formset.changed_objects),
            key=lambda membership: membership.role != MemberRole.ADMIN,
        )
        try:
            for membership in formset.new_objects:
                member_add(
                    business=business, user=membership.user, role=membership.role, actor=actor
                )
            for membership in changed:
                member_set_role(
                    business=business,
                    user_id=membership.user_id,
                    role=membership.role,
                    actor=actor,
                    by_staff=True,
                )
            for membership in formset.deleted_objects:
                member_remove(
                    business=business, user_id=membership.user_id, actor=actor, by_staff=True
                )
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)

    def _set_verified(self, request: HttpRequest, queryset: QuerySet[Business], value: bool) -> int:
        return sum(
            business_set_verified(business=business, verified=value, actor=request_user(request))
            for business in queryset
        )

    @admin.action(description=_("Mark verified"))
    def verify(self, request: HttpRequest, queryset: QuerySet[Business]) -> None:
        count = self._set_verified(request, queryset, True)
        self.message_user(request, _("%(count)d business(es) marked verified.") % {"count": count})

    @admin.action(description=_("Remove the verified mark"))
    def unverify(self, request: HttpRequest, queryset: QuerySet[Business]) -> None:
        count = self._set_verified(request, queryset, False)
        self.message_user(
            request, _("%(count)d business(es) no longer verified.") % {"count": count}
        )


@admin.register(SubscriptionPlan)
class SubscriptionPlanAdmin(OfferAdmin):
    list_display = ("code", "name", "months", "price", "currency", "is_active", "position")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("phone", "business", "role", "status", "created_at", "expires_at")
    list_filter = ("status", "role")
    search_fields = ("phone", "business__name")
    list_select_related = ("business",)


@admin.register(SubscriptionOrder)
class SubscriptionOrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "business", "plan", "status", "period_start", "period_end", "buyer")
    list_filter = ("status", "plan")
    search_fields = ("id", "payment_id", "business__name", "buyer__phone")
    list_select_related = ("business", "buyer")
