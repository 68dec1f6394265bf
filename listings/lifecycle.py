"""The listing's states and the only moves between them."""

from .models import Status

# (from, to) → the name of the move, recorded in the audit log.
TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.DRAFT, Status.PENDING_REVIEW): "submitted",
    (Status.REJECTED, Status.PENDING_REVIEW): "resubmitted",
    (Status.ACTIVE, Status.PENDING_REVIEW): "edited",
    (Status.PENDING_REVIEW, Status.ACTIVE): "approved",
    (Status.PENDING_REVIEW, Status.PAUSED): "approved_paused",
    (Status.PENDING_REVIEW, Status.REJECTED): "rejected",
    (Status.ACTIVE, Status.REJECTED): "rejected",
    (Status.ACTIVE, Status.SOLD): "sold",
    (Status.ACTIVE, Status.PAUSED): "paused",
    (Status.PAUSED, Status.ACTIVE): "resumed",
    (Status.PAUSED, Status.PENDING_REVIEW): "edited",
    **{(status, Status.ARCHIVED): "archived" for status in Status if status != Status.ARCHIVED},
}


def can_move(current: str, target: str) -> bool:
    return (current, target) in TRANSITIONS
