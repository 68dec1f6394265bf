"""The refusals of the business area, each carrying the contract's error code."""

from django.utils.translation import gettext_lazy as _

from accounts.exceptions import LastAdmin
from core.errors import DomainError

__all__ = ("LastAdmin", "NotBusinessAdmin")


class NotBusinessAdmin(DomainError):
    """A member acting on what only the business's admins manage (its team, profile,
    invitations, subscription): they see the business, so a 403 rather than a 404."""

    status_code = 403
    code = "permission_denied"
    message = _("Only the admins of the business can do this.")
