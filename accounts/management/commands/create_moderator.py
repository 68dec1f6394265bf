from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.exceptions import AlreadyAdmin
from accounts.phone import normalize_phone
from accounts.services import moderator_appoint


class Command(BaseCommand):
    help = "Create a moderator by phone, or promote an existing user to moderator (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phone", required=True, help="A Kyrgyz mobile number.")
        parser.add_argument("--name", default="", help="Display name for a new user.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would happen; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            phone = normalize_phone(options["phone"])
        except ValidationError as exc:
            raise CommandError(f"Invalid phone: {options['phone']}") from exc
        with transaction.atomic():
            try:
                _user, created = moderator_appoint(phone=phone, display_name=options["name"])
            except AlreadyAdmin as exc:
                raise CommandError(f"{phone} is an admin already; admins moderate too.") from exc
            if options["dry_run"]:
                # Done and rolled back, so the dry run meets the same refusals a real one does.
                transaction.set_rollback(True)
        if options["dry_run"]:
            verb = "create" if created else "promote"
            self.stdout.write(f"Would {verb} moderator {phone} (dry run: nothing changed).")
            return
        verb = "Created" if created else "Promoted"
        self.stdout.write(self.style.SUCCESS(f"{verb} moderator {phone}."))
        self.stdout.write("They log in to the app by SMS code; for the admin, set a password:")
        self.stdout.write(f"  python manage.py changepassword {phone}")
