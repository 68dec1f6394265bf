"""The refusals of the chat, each carrying the contract's error code."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class CannotMessageSelf(DomainError):
    code = "cannot_message_self"
    message = _("This is your own listing: buyers write to you here.")


class Blocked(DomainError):
    status_code = 403
    code = "blocked"
    message = _("You cannot send messages in this conversation: you have been blocked.")
