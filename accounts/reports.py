"""What accounts contributes to the staff commands: its figures (`marketplace_stats`) and a
user's profile, consents and devices (`export_user_data`)."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q

from .models import User


def user_figures(now: datetime) -> dict[str, Any]:
    return User.objects.aggregate(
        total=Count("pk", filter=Q(deleted_at__isnull=True)),
        active=Count("pk", filter=Q(is_active=True, deleted_at__isnull=True)),
        banned=Count("pk", filter=Q(is_active=False, deleted_at__isnull=True)),
        joined_24h=Count("pk", filter=Q(created_at__gte=now - timedelta(hours=24))),
        joined_7d=Count("pk", filter=Q(created_at__gte=now - timedelta(days=7))),
    )


def user_personal_data(user: User) -> dict[str, Any]:
    return {
        "profile": {
            "id": user.pk,
            "phone": user.phone,
            "display_name": user.display_name,
            "city": user.city,
            "language": user.language,
            "avatar": user.avatar.name or None,
            "role": user.role,
            "is_active": user.is_active,
            "created_at": user.created_at,
            "updated_at": user.updated_at,
            "last_login": user.last_login,
            "deleted_at": user.deleted_at,
        },
        "consents": list(
            user.consents.order_by("created_at").values(
                "kind", "version", "accepted", "ip_address", "user_agent", "created_at"
            )
        ),
        "devices": list(
            user.devices.order_by("created_at").values(
                "platform", "expo_push_token", "created_at", "updated_at"
            )
        ),
    }
