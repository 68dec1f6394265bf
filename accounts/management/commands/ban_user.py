from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.management.staff import command_run, staff_by_phone, user_by_phone
from accounts.models import AuditEntry
from accounts.services import user_ban


class Command(BaseCommand):
    help = (
        "Ban a user by phone: deactivate them, revoke every token (their open chat sockets "
        "close) and archive their personal listings. Nothing is deleted: their threads stay "
        "readable to the other side, their payments and history stay. Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phone", required=True, help="The user's phone, as written.")
        parser.add_argument("--reason", required=True, help="Why; kept in the audit log.")
        parser.add_argument(
            "--by", help="Your phone (an active staff member): recorded as the actor."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_by_phone(options["phone"])
        actor = staff_by_phone(options["by"]) if options["by"] else None
        if not user.is_active:
            self.stdout.write(f"{user.phone} is banned already; nothing changed.")
            return
        dry_run = options["dry_run"]
        # A dry run bans inside a transaction it rolls back (after-commit work, such as
        # closing sockets, never runs): what it reports is exactly what a real run does.
        with command_run("ban_user") as run_id, transaction.atomic():
            user_ban(user=user, actor=actor, reason=options["reason"])
            entries = list(AuditEntry.objects.filter(request_id=run_id).order_by("id"))
            if dry_run:
                transaction.set_rollback(True)
        for entry in entries:
            self.stdout.write(f"  {entry.action} {entry.target_type}:{entry.target_id}")
        if dry_run:
            self.stdout.write(f"Would ban {user.phone} (dry run: nothing changed).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Banned {user.phone} (audit run {run_id})."))
