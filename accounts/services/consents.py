"""Legal consent: every decision is a history row; the latest per document counts."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ..exceptions import ConsentRequired
from ..models import Consent, ConsentKind, User
from ..selectors import legal_documents_in_force


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None
    user_agent: str


def required_kinds() -> list[str]:
    return [document.kind for document in legal_documents_in_force() if document.required]


def consent_record(*, user: User, kind: str, accepted: bool, meta: RequestMeta) -> Consent:
    """Record one decision on the version in force. Refusing a required document is refused."""
    if not accepted and kind in required_kinds():
        raise ConsentRequired
    version = next(d.version for d in legal_documents_in_force() if d.kind == kind)
    return Consent.objects.create(
        user=user,
        kind=ConsentKind(kind),
        version=version,
        accepted=accepted,
        ip_address=meta.ip or None,
        user_agent=meta.user_agent[:300],
    )


@transaction.atomic
def consent_record_many(*, user: User, decisions: dict[str, Any], meta: RequestMeta) -> None:
    for kind in ConsentKind:
        if isinstance(decisions.get(kind.value), bool):
            consent_record(user=user, kind=kind.value, accepted=decisions[kind.value], meta=meta)
