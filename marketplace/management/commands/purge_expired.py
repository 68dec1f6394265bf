from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accounts.management.staff import command_run
from accounts.services import audit_record
from marketplace import staff


class Command(BaseCommand):
    # Payments are never purged, expired ones included: they are financial records the law
    # makes us keep, money that arrives after expiry is still honoured against them, and
    # their promotions, orders and provider events point at them.
    help = (
        "Delete what has outlived its use: login codes a day past expiry, refresh tokens past "
        "expiry, invitations 30 days past expiry, and uploaded files (listing media, avatars, "
        "logos) that no row names and are over an hour old. Payments are kept. Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now, dry_run = timezone.now(), options["dry_run"]
        counts: dict[str, Any] = {}
        # Each step commits on its own (files cannot be rolled back with rows): when one
        # fails, what the steps before it deleted is gone, and the audit log says so.
        try:
            for name, step in staff.purge_steps():
                counts["failed_at"] = name
                counts[name] = step(now=now, dry_run=dry_run)
                del counts["failed_at"]
                verb = "would be deleted" if dry_run else "deleted"
                self.stdout.write(f"{name}: {counts[name]} {verb}")
        finally:
            if not dry_run:
                with command_run("purge_expired"):
                    audit_record(actor=None, action="system.purged", data=counts)
        if dry_run:
            self.stdout.write("Dry run: nothing changed.")
