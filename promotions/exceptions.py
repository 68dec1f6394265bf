from django.utils.translation import gettext_lazy as _

from core.errors import MESSAGES, DomainError


class ListingNotActive(DomainError):
    status_code = 409
    code = "listing_not_active"
    message = _("Only an active listing can be promoted.")


class SignatureInvalid(DomainError):
    status_code = 400
    code = "invalid_signature"
    message = _("The signature is missing or does not match.")


class AmountMismatch(DomainError):
    status_code = 400
    code = "amount_mismatch"
    message = _("The amount or currency does not match the payment.")


class PaymentNotFound(DomainError):
    status_code = 404
    code = "not_found"
    message = MESSAGES["not_found"]


class PaymentsUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"
    message = _("Payments are not available right now. Try again later.")
