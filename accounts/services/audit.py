from typing import Any

from django.db import models

from core.request_context import current_request_id

from ..models import AuditEntry


def audit_record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log, stamped with the current request's id.

    Call it inside the transaction of the change it records, so both land or neither does.
    `actor` is a user, or None for the system.
    """
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
        request_id=current_request_id() or "",
    )
