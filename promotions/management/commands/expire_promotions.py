from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from promotions.services.promotions import promotions_due, promotions_expire


class Command(BaseCommand):
    help = (
        "Expire promotions whose paid days have run out and recompute their listings' boosts "
        "(what the every-minute task does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would expire; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["dry_run"]:
            due = promotions_due(now=now)
            for promotion in due:
                self.stdout.write(
                    f"{promotion.pk} {promotion.plan_id} listing {promotion.listing_id} "
                    f"ended {promotion.ends_at:%Y-%m-%d %H:%M} UTC"
                )
            self.stdout.write(f"{len(due)} promotion(s) would expire (dry run: nothing changed).")
            return
        expired = promotions_expire(now=now)
        self.stdout.write(self.style.SUCCESS(f"{len(expired)} promotion(s) expired."))
