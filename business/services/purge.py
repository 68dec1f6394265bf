"""Business's purge steps for `manage.py purge_expired`."""

from datetime import datetime, timedelta

from accounts.services.purge import orphaned_files_purge

from ..models import Business, Invitation, InvitationStatus

# An expired invitation stays visible to its business's admins this long, then goes: it holds
# the phone of someone who never joined. Its creation stays in the audit log.
EXPIRED_INVITATION_RETENTION = timedelta(days=30)


def invitations_purge(*, now: datetime, dry_run: bool) -> int:
    expired = Invitation.objects.filter(
        status=InvitationStatus.PENDING, expires_at__lt=now - EXPIRED_INVITATION_RETENTION
    )
    return expired.count() if dry_run else expired.delete()[0]


def logos_purge(*, now: datetime, dry_run: bool) -> int:
    def referenced(names: list[str]) -> set[str]:
        return set(Business.objects.filter(logo__in=names).values_list("logo", flat=True))

    storage = Business._meta.get_field("logo").storage
    return orphaned_files_purge(
        storage=storage, directory="logos", referenced=referenced, now=now, dry_run=dry_run
    )
