"""The refusals of the accounts area, each carrying the contract's error code."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class InvalidPhone(DomainError):
    code = "invalid_phone"
    message = _("Enter a Kyrgyz mobile number, e.g. +996 700 123 456.")


class InvalidCode(DomainError):
    code = "invalid_code"
    message = _("The code is not correct.")

    def __init__(self, *, attempts_left: int) -> None:
        super().__init__(extra={"attempts_left": attempts_left})


class CodeExpired(DomainError):
    code = "code_expired"
    message = _("The code has expired. Ask for a new one.")


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"
    message = _("Too many wrong codes. Ask for a new one.")


class ConsentRequired(DomainError):
    code = "consent_required"
    message = _("Accept the offer agreement and the personal data processing to continue.")


class AccountDisabled(DomainError):
    # The contract's generic 403 code; the message says why.
    status_code = 403
    code = "permission_denied"
    message = _("This account is disabled.")


class PhoneTaken(DomainError):
    status_code = 409
    code = "phone_taken"
    message = _("Another account already uses this phone number.")


class LastAdmin(DomainError):
    status_code = 409
    code = "last_admin"
    message = _("You are the last admin of a business. Appoint another admin first.")


class UnsupportedMedia(DomainError):
    status_code = 415
    code = "unsupported_media_type"
    message = _("Upload a JPEG, PNG or WebP image.")


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"
    message = _("The file is too large.")


class ImageTooLarge(DomainError):
    """More pixels than the upload's kind allows (`max_pixels` beside the code)."""

    code = "image_too_large"
    message = _("The image has too many pixels. Upload a smaller one.")


class AlreadyAdmin(Exception):
    """A staff command asked to make an admin a moderator (not an API answer)."""
