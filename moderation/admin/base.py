"""What the moderation admin's pages share: the queue's row type and how a moment is shown."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import localize

# A row of the queue: a Listing carrying moderation_queue()'s annotations (`risk`,
# `reports_count`, `waiting_since`, `precheck_id`) and the `latest_precheck` the queue
# attaches (`queue._attach_prechecks`).
QueueRow = Any


def _is_moderator(request: HttpRequest) -> bool:
    # Admins (superusers) have the moderator role's rights too: `is_moderator` says so.
    return bool(getattr(request.user, "is_moderator", False))


def _when(moment: Any) -> str:
    return localize(timezone.localtime(moment))
