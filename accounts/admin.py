from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .admin_audit import AuditedModelAdmin, ReadOnly
from .api import request_user
from .models import AuditEntry, Consent, User
from .phone import normalize_phone
from .services import user_ban, user_save_by_staff


class ConsentInline(ReadOnly, admin.TabularInline):
    """The user's consent history, as recorded; nobody edits a legal decision after the fact."""

    model = Consent
    extra = 0
    fields = ("created_at", "kind", "version", "accepted", "ip_address", "user_agent")
    readonly_fields = fields
    ordering = ("-created_at",)


class UserCreationForm(forms.ModelForm):
    """Staff create users by phone; a password is set only for staff who use the admin."""

    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        required=False,
        help_text=_("Only for staff who log in to the admin. Leave empty for app users."),
    )

    class Meta:
        model = User
        fields = ("phone", "display_name", "city", "language", "role")

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if self.cleaned_data.get("password"):
            user.set_password(self.cleaned_data["password"])
        else:
            user.set_unusable_password()
        return user


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    add_form = UserCreationForm
    list_display = ("phone", "display_name", "role", "city", "is_active", "created_at")
    list_filter = ("role", "is_active", "language")
    search_fields = ("phone", "display_name")
    actions = ("ban_users",)
    ordering = ("-created_at",)
    readonly_fields = (
        "is_staff",
        "is_superuser",
        "token_version",
        "created_at",
        "updated_at",
        "deleted_at",
    )
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        (_("Profile"), {"fields": ("display_name", "city", "language")}),
        (_("Access"), {"fields": ("role", "is_active", "is_staff", "is_superuser")}),
        (
            _("Dates"),
            {"fields": ("token_version", "last_login", "created_at", "updated_at", "deleted_at")},
        ),
    )
    add_fieldsets = (
        (None, {"fields": ("phone", "display_name", "city", "language", "role", "password")}),
    )
    filter_horizontal = ()

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return (ConsentInline,) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        user_save_by_staff(user=obj, actor=request_user(request))

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        # Staff paste numbers as people write them; match the stored E.164 form too.
        try:
            phone = normalize_phone(search_term)
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(phone=phone), False

    @admin.action(
        description=_(
            "Ban the selected users (revokes their tokens, archives their personal listings)"
        )
    )
    def ban_users(self, request: HttpRequest, queryset: Any) -> None:
        banned = 0
        for user in queryset.filter(is_active=True):
            if user.pk == request.user.pk:
                continue
            user_ban(user=user, actor=request_user(request), reason="admin action")
            banned += 1
        self.message_user(request, _("%(count)d users banned.") % {"count": banned})


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditedModelAdmin):
    list_display = ("created_at", "action", "actor", "target_type", "target_id", "request_id")
    list_filter = ("action", "target_type")
    search_fields = ("action", "target_id", "request_id", "actor__phone")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
