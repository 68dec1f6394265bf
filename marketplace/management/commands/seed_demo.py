from io import StringIO
from typing import Any

from django.core.management.base import BaseCommand, CommandParser, OutputWrapper
from django.db import transaction

from accounts.demo import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_PHONE, format_table
from marketplace.demo import DEMO_SEEDERS, demo_account_rows

TABLE_HEADER = ("phone", "name", "role", "what the account has")


class Command(BaseCommand):
    help = (
        "Load demo data (idempotent: running it twice changes nothing) and print the demo "
        "accounts. -v 2 also prints what each step created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server listens, for the printed links.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Seeding demo data…")
        steps = self.stdout if options["verbosity"] >= 2 else OutputWrapper(StringIO())
        with transaction.atomic():
            for seeder in DEMO_SEEDERS:
                seeder(steps)
        base = options["base_url"].rstrip("/")
        self.stdout.write(
            "\nDemo accounts: staff log in to the admin with their password; everyone logs in to "
            "the app with an SMS code, which this console prints.\n"
        )
        for line in format_table(demo_account_rows(), TABLE_HEADER):
            self.stdout.write(f"  {line}")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nAdmin:    {base}/admin/ (phone {DEMO_ADMIN_PHONE}, "
                f"password {DEMO_ADMIN_PASSWORD})\n"
                f"API docs: {base}/api/docs/"
            )
        )
