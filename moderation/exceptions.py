from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class AlreadyDecided(DomainError):
    status_code = 409
    code = "already_decided"
    message = _("Another moderator has already decided on this listing.")
