from django.utils.translation import gettext_lazy as _

from marketplace.api.errors import DomainError


class ListingLimitReached(DomainError):
    status_code = 403
    code = "listing_limit_reached"
    message = _("You can hold at most 5 listings at once. Sell, archive or upgrade to business.")


class InvalidTransition(DomainError):
    status_code = 409
    code = "invalid_transition"
    message = _("The listing cannot move to that status from its current one.")


class MediaRequired(DomainError):
    code = "media_required"
    message = _("Add at least one video or image before submitting.")


class NotABusinessSeller(DomainError):
    status_code = 403
    code = "permission_denied"
    message = _("You can list for a business only as its admin or seller.")
