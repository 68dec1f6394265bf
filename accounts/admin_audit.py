"""Every change made in the admin goes to the audit log: who, which object, which fields.

Project admins inherit AuditedModelAdmin. The admins of framework and library models (groups
and their permissions, periodic tasks, tokens) are wrapped by `audit_every_admin` at start-up,
so no admin page writes unrecorded. Changes the admin makes through a service (a role, a team,
a refund) are also recorded by that service as the domain action they are.
"""

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .services.audit import audit_record


def _changes(message: Any) -> dict[str, Any]:
    # The admin's own change message: the fields and inline rows changed, by label, in
    # English. Never the values, which may be secrets (a password's hash).
    return {"changes": message}


class AuditedModelAdmin(admin.ModelAdmin):
    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        audit_record(actor=request.user, action="admin.added", target=obj, data=_changes(message))
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        if message:  # an unchanged form saved again changes nothing
            audit_record(
                actor=request.user, action="admin.changed", target=obj, data=_changes(message)
            )
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        # Called before the deletion, in its transaction: the entry keeps what the row was.
        for obj in queryset:
            audit_record(
                actor=request.user, action="admin.deleted", target=obj, data={"object": str(obj)}
            )
        return super().log_deletions(request, queryset)


def audit_every_admin(site: admin.AdminSite) -> None:
    """Re-register every admin on `site` that is not audited as an audited subclass of itself.
    Run after the admin's autodiscovery (accounts' ready(): contrib.admin is installed first)."""
    for model in apps.get_models():
        if not site.is_registered(model):
            continue
        model_admin = type(site.get_model_admin(model))
        if issubclass(model_admin, AuditedModelAdmin):
            continue
        site.unregister(model)
        site.register(
            model, type(f"Audited{model_admin.__name__}", (AuditedModelAdmin, model_admin), {})
        )


class ReadOnly:
    """For a model admin or an inline: staff with the view permission look; nobody adds,
    changes or deletes here (records such as payments, messages and audit trails)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnly, AuditedModelAdmin):
    pass
