from typing import Any

from rest_framework.permissions import BasePermission


class IsModerator(BasePermission):
    """Moderators and admins; everyone else who is logged in gets 403 `permission_denied`."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_moderator)
