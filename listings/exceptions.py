from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


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


class PhoneHidden(DomainError):
    """The seller chose chat only; a 404 like any other number that is not there to give."""

    status_code = 404
    code = "phone_hidden"
    message = _("The seller has hidden the phone number. Write in the chat instead.")


class AlreadyReported(DomainError):
    status_code = 409
    code = "already_reported"
    message = _("You have already reported this listing.")


class CannotReportOwn(DomainError):
    code = "cannot_report_own"
    message = _("You cannot report your own listing.")


# --- Media ------------------------------------------------------------------------------------


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"
    message = _("Upload a JPEG, PNG or WebP photo, or an MP4, MOV or WebM video.")


class MediaLimitReached(DomainError):
    code = "media_limit_reached"
    message = _("A listing can have at most 1 video, 20 photos and 5 panoramas.")


class VideoTooLong(DomainError):
    code = "video_too_long"
    message = _("The video is too long: at most %(seconds)d seconds.")
