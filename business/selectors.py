from typing import Any

from .models import Membership


def businesses_of_user(user: Any) -> list[dict[str, Any]]:
    """The businesses the user belongs to, with his role in each (one query)."""
    memberships = (
        Membership.objects.filter(user=user).select_related("business").order_by("joined_at")
    )
    return [{"id": m.business_id, "name": m.business.name, "role": m.role} for m in memberships]
