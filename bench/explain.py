"""EXPLAIN the feed and every single search filter on the benchmark data: no sequential scan
of listings may appear. Run after `make bench` has built its database:

    .venv/bin/python bench/explain.py            # uses the database marketplace_bench

Each request goes through Django's test client; every SELECT it sends that reads
listings_listing is EXPLAINed, and any Seq Scan on that table is reported. Exit status 1 when
one is found.
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.production")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marketplace_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("SECRET_KEY", "explain-only-secret-key-0123456789abcdefghijklmnop")
os.environ.setdefault("JWT_SIGNING_KEY", "explain-only-jwt-key-0123456789abcdefghijklmnop")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("THROTTLE_ANON_RATE", "1000000/min")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PATHS = [
    "/api/v1/listings/feed/",
    "/api/v1/listings/feed/?category=horse",
    "/api/v1/listings/?category=real_estate",
    "/api/v1/listings/?city=Бишкек",
    "/api/v1/listings/?region=Чуйская область",
    "/api/v1/listings/?make=Toyota",
    "/api/v1/listings/?model=Camry",
    "/api/v1/listings/?year_min=2020",
    "/api/v1/listings/?mileage_max=20000",
    "/api/v1/listings/?fuel=electric",
    "/api/v1/listings/?transmission=robot",
    "/api/v1/listings/?body_type=pickup",
    "/api/v1/listings/?breed=Кыргызская",
    "/api/v1/listings/?sex=gelding",
    "/api/v1/listings/?purpose=kok_boru",
    "/api/v1/listings/?property_type=commercial",
    "/api/v1/listings/?deal_type=rent",
    "/api/v1/listings/?rooms=5",
    "/api/v1/listings/?area_min=300",
    "/api/v1/listings/?price_min=10000000&currency=KGS",
    "/api/v1/listings/?ordering=price&currency=USD",
    "/api/v1/listings/?q=квартира",
    "/api/v1/listings/?q=Mersedes",
]


def seq_scans(plan: dict[str, Any]) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") == "listings_listing":
        found.append("Seq Scan on listings_listing")
    for child in plan.get("Plans", []):
        found += seq_scans(child)
    return found


def main() -> int:
    client = Client()
    failures = 0
    for path in PATHS:
        with CaptureQueriesContext(connection) as captured:
            status = client.get(path).status_code
        problems: list[str] = []
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT") or "listings_listing" not in sql:
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                answer = cursor.fetchone()[0]  # psycopg decodes json; be ready for text too
                plan = (json.loads(answer) if isinstance(answer, str) else answer)[0]["Plan"]
            problems += seq_scans(plan)
        verdict = "ok" if not problems and status == 200 else "SEQ SCAN" if problems else status
        failures += verdict != "ok"
        sys.stdout.write(f"{verdict!s:9} {path}\n")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
