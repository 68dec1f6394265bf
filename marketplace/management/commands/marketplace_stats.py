import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from marketplace import staff


def _rows(figures: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in figures.items():
        if isinstance(value, dict):
            rows += _rows(value, f"{prefix}{key}.")
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


class Command(BaseCommand):
    help = (
        "Print the marketplace's figures now: users, listings by status and created by "
        "category in the last 24 h and 7 days, the moderation queue, promotions and payments, "
        "businesses by subscription status, and what other apps add (chat messages). "
        "Changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="One JSON document instead.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        figures = staff.stats(now)
        if options["json"]:
            document = {"generated_at": now, **figures}
            self.stdout.write(json.dumps(document, cls=DjangoJSONEncoder, indent=2))
            return
        sections = {section: _rows(values) for section, values in figures.items()}
        width = max((len(name) for rows in sections.values() for name, _value in rows), default=0)
        self.stdout.write(f"Marketplace figures at {now:%Y-%m-%d %H:%M:%S} UTC")
        for section, rows in sections.items():
            self.stdout.write(f"\n{section}")
            for name, value in rows:
                self.stdout.write(f"  {name:<{width}}  {value:>10}")
