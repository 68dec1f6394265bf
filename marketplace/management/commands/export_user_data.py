import json
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.management.staff import command_run, staff_by_phone, user_by_phone
from accounts.services import audit_record
from marketplace import staff


class Command(BaseCommand):
    help = (
        "Write everything the marketplace holds about a user as JSON (profile, consents, "
        "devices, listings, favorites, reports, businesses, payments, chat), for a data-subject "
        "request under Kyrgyz personal-data law. Audited: who exported whose data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phone", required=True, help="The user's phone, as written.")
        parser.add_argument(
            "--by",
            required=True,
            help="Your phone (an active staff member): recorded as the actor.",
        )
        parser.add_argument(
            "--output",
            default="-",
            help="File to write (readable by its owner only); default stdout.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_by_phone(options["phone"])
        actor = staff_by_phone(options["by"])
        sections = staff.personal_data(user)
        document = {"exported_at": timezone.now(), "user_id": user.pk, **sections}
        text = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        output = options["output"]
        # Written inside the transaction of its audit entry: an export that fails is not
        # recorded, and one that is written is.
        with command_run("export_user_data"), transaction.atomic():
            audit_record(
                actor=actor,
                action="user.data_exported",
                target=user,
                data={"sections": list(sections), "to": "stdout" if output == "-" else output},
            )
            if output == "-":
                self.stdout.write(text)
                return
            try:
                descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.fchmod(descriptor, 0o600)  # the mode above applies only to a new file
                with open(descriptor, "w", encoding="utf-8") as file:
                    file.write(text + "\n")
            except OSError as exc:
                raise CommandError(f"Could not write {output}: {exc.strerror}") from exc
        self.stderr.write(f"Wrote the personal data of {user.phone} to {output}.")
