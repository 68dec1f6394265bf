from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import ConsentKind

_TITLES = {
    ConsentKind.OFFER_AGREEMENT: _("Public offer agreement"),
    ConsentKind.PERSONAL_DATA_PROCESSING: _("Consent to personal data processing"),
    ConsentKind.MARKETING_COMMUNICATIONS: _("Consent to marketing communications"),
}


@dataclass(frozen=True)
class LegalDocument:
    kind: str
    version: str
    title: str
    url: str
    required: bool


def legal_documents_in_force() -> list[LegalDocument]:
    """The documents users accept, at the versions configured in settings.LEGAL_DOCUMENTS."""
    configured = settings.LEGAL_DOCUMENTS
    return [
        LegalDocument(
            kind=kind.value,
            version=str(configured[kind.value]["version"]),
            title=str(_TITLES[kind]),
            url=str(configured[kind.value]["url"]),
            required=bool(configured[kind.value]["required"]),
        )
        for kind in ConsentKind
    ]
