"""Ids from URLs and bodies: a malformed one names nothing, so it is a 404, never a 500."""

import uuid
from typing import Any

from django.http import Http404


def uuid_or_404(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None
