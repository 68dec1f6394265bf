from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.demo import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_PHONE,
    DEMO_MODERATOR_PASSWORD,
    DEMO_MODERATOR_PHONE,
    demo_seeders,
)


class Command(BaseCommand):
    help = "Load demo data (idempotent: running it twice changes nothing) and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server listens, for the printed links.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Seeding demo data…")
        with transaction.atomic():
            for registered in demo_seeders():
                registered.seeder(self.stdout)
        base = options["base_url"].rstrip("/")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nAdmin:    {base}/admin/\n"
                f"Login:    phone {DEMO_ADMIN_PHONE}, password {DEMO_ADMIN_PASSWORD} (admin)\n"
                f"          phone {DEMO_MODERATOR_PHONE}, password {DEMO_MODERATOR_PASSWORD}"
                " (moderator)\n"
                f"API docs: {base}/api/docs/"
            )
        )
