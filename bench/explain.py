"""The plans of what the app asks of listings_listing, on the benchmark database: which of the
table's indexes each request reads, and none that reads the whole table. Every index of the
table is named in JUSTIFIED with a request whose plan reads it (the suite checks that the
table has those indexes and no other: `listings/tests/test_indexes.py`). Run after `make bench`
has built its database:

    .venv/bin/python bench/explain.py     # starts the bench's own PostgreSQL (.bench/postgres)

Each request goes through Django's test client (anonymous, or signed in as a seller with many
listings, a business's member or a moderator) inside a transaction rolled back afterwards;
every statement it sends that reads listings_listing is EXPLAINed with its values. Printed: per
request, the table's indexes its plans read; then, per index, the requests that read it. Exit
status 1 when a plan reads the whole table, or an index is not read by its justifying request:
an index no query uses is only a cost on every write and for the planner to weigh.
"""

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.feed_search import DB_NAME, start_private_postgres  # noqa: E402

TABLE = "listings_listing"
SEARCH = "/api/v1/listings/"
# Read by lookups by id and by the constraint's own checks.
CONSTRAINTS = {"listings_listing_pkey", "listing_unique_client_id"}

# index → the request (who asks, what) whose plan reads it on the million listings.
JUSTIFIED: dict[str, tuple[str, str]] = {
    "listing_active_newest_idx": ("anonymous", f"{SEARCH}?make=Toyota"),
    "listing_active_boosted_idx": ("anonymous", "/api/v1/listings/feed/"),
    # A page of one category is walked in that category's own order.
    "listing_active_cat_newest_idx": ("anonymous", f"{SEARCH}?category=real_estate"),
    # A town or region with few listings (none here): walking the newest, as for Бишкек,
    # would read the whole table to fill a page.
    "listing_active_city_idx": ("anonymous", f"{SEARCH}?city=Кочкор"),
    "listing_active_region_idx": ("anonymous", f"{SEARCH}?region=Ошская область"),
    **{
        f"listing_active_price_{code.lower()}_idx": (
            "anonymous",
            f"{SEARCH}?ordering=price&currency={code}",
        )
        for code in ("KGS", "KZT", "USD")
    },
    **{
        f"listing_cat_price_{code.lower()}_idx": (
            "anonymous",
            f"{SEARCH}?category=car&ordering=-price&currency={code}",
        )
        for code in ("KGS", "KZT", "USD")
    },
    **{
        f"listing_cat_city_price_{code.lower()}_idx": (
            "anonymous",
            f"{SEARCH}?category=car&city=Бишкек&ordering=price&currency={code}",
        )
        for code in ("KGS", "KZT", "USD")
    },
    # Words few listings hold (a common one, "квартира", walks the newest instead).
    "listing_search_vector_idx": ("anonymous", f"{SEARCH}?q=Tesla"),
    # No word matches: titles alike (the typo fallback).
    "listing_title_trgm_idx": ("anonymous", f"{SEARCH}?q=Mersedes"),
    # The personal quota on `/me/` (also the seller's own list, with the business's index).
    "listing_author_status_idx": ("seller", "/api/v1/me/"),
    "listing_business_status_idx": ("anonymous", "/api/v1/business/{business}/listings/"),
    # The pre-check's count of listings with the same title and text.
    "listing_title_upper_idx": ("celery", "moderation_precheck"),
}


# Besides the justifying requests: every single search filter, the detail, and what sellers,
# a business's members and moderators read.
OTHERS: list[tuple[str, str]] = [
    *(
        ("anonymous", f"{SEARCH}?{query}")
        for query in (
            "city=Бишкек",
            "city=Нарын",
            "region=Чуйская область",
            "model=Camry",
            "year_min=2020",
            "mileage_max=20000",
            "fuel=electric",
            "transmission=robot",
            "body_type=pickup",
            "breed=Кыргызская",
            "sex=gelding",
            "purpose=kok_boru",
            "property_type=commercial",
            "deal_type=rent",
            "rooms=5",
            "area_min=300",
            "price_min=10000000&currency=KGS",
            "ordering=-price&currency=USD",
            "q=квартира",
            "category=car&city=Бишкек&ordering=-price&currency=KGS",
        )
    ),
    ("anonymous", "/api/v1/listings/feed/?category=horse"),
    ("anonymous", "/api/v1/listings/{active}/"),
    ("seller", "/api/v1/me/listings/"),
    ("member", "/api/v1/business/{business}/listings/"),
    ("member", "/api/v1/business/{business}/listings/?status=pending_review"),
    ("moderator", "/api/v1/moderation/queue/"),
]


def call_of(people: dict[str, Any], who: str, what: str) -> Callable[[], Any]:
    """The request `who` makes: an API GET as that person, or the named Celery task."""
    from django.db import transaction
    from rest_framework.test import APIClient

    from moderation.services import moderation_precheck

    if what == "moderation_precheck":

        def precheck() -> Any:
            with transaction.atomic():
                result = moderation_precheck(listing_id=people["pending"].pk)
                transaction.set_rollback(True)
            return result

        return precheck
    api = APIClient()
    if who != "anonymous":
        api.force_authenticate(people[who])
    path = what.format(business=people["business"].pk, active=people["active"].pk)
    return lambda: api.get(path)


def find_people() -> dict[str, Any]:
    from django.db.models import Count

    from accounts.models import User
    from business.models import Membership
    from listings.models import Listing

    def busiest(**where: Any) -> Any:
        row = (
            Listing.objects.filter(**where)
            .values("author")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()
        )
        return User.objects.get(pk=row["author"]) if row else None

    # A member of the business with the most listings.
    busiest_business = (
        Listing.objects.filter(business__isnull=False)
        .values("business")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values("business")[:1]
    )
    member = Membership.objects.select_related("user", "business").get(
        business_id__in=busiest_business, role="admin"
    )
    moderator = User.objects.filter(role="moderator").first() or busiest()
    if moderator.role != "moderator":
        moderator.role = "moderator"  # for this run's requests only; never saved
    return {
        "seller": busiest(business__isnull=True),
        "member": member.user,
        "business": member.business,
        "moderator": moderator,
        "active": Listing.objects.filter(status="active").order_by("-published_at").first(),
        "pending": Listing.objects.filter(status="pending_review").first()
        or Listing.objects.filter(status="active").first(),
    }


def plan_of(sql: str) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        answer = cursor.fetchone()[0]  # psycopg decodes json; be ready for text too
    plan: dict[str, Any] = (json.loads(answer) if isinstance(answer, str) else answer)[0]["Plan"]
    return plan


def reads(plan: dict[str, Any], indexes: set[str]) -> tuple[set[str], list[str]]:
    """The table's indexes a plan reads, and its whole reads of the table."""
    used, whole = set(), []
    pending = [plan]
    while pending:
        node = pending.pop()
        pending.extend(node.get("Plans", ()))
        if node.get("Index Name") in indexes:
            used.add(node["Index Name"])
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") == TABLE:
            whole.append("Seq Scan")
    return used, whole


def main() -> int:
    cluster = start_private_postgres()
    try:
        return audit(f"postgres://postgres@127.0.0.1:{cluster.port}/{DB_NAME}")
    finally:
        cluster.stop()


def audit(database_url: str) -> int:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.production")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("SECRET_KEY", "explain-only-secret-key-0123456789abcdefghijklmnop")
    os.environ.setdefault("JWT_SIGNING_KEY", "explain-only-jwt-key-0123456789abcdefghijklmnop")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("THROTTLE_ANON_RATE", "1000000/min")
    os.environ.setdefault("THROTTLE_USER_RATE", "1000000/min")
    os.environ.setdefault("FEED_CACHE_SECONDS", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])
        indexes = {name for (name,) in cursor.fetchall()}
    readers: dict[str, list[str]] = {name: [] for name in indexes}
    people = find_people()
    failures = 0
    for who, what in [*JUSTIFIED.values(), *OTHERS]:
        with CaptureQueriesContext(connection) as captured:
            answer = call_of(people, who, what)()
        status = getattr(answer, "status_code", 200)
        used: set[str] = set()
        whole: list[str] = []
        for query in captured.captured_queries:
            sql = query["sql"]
            if sql.startswith("SELECT") and f'"{TABLE}"' in sql:
                found, scans = reads(plan_of(sql), indexes)
                used |= found
                whole += scans
        for name in used:
            readers[name].append(f"{who} {what}")
        verdict = "ok" if not whole and status == 200 else "SEQ SCAN" if whole else str(status)
        failures += verdict != "ok"
        sys.stdout.write(f"{verdict:9} {who:9} {what}\n          {', '.join(sorted(used))}\n")
    sys.stdout.write("\nIndexes of listings_listing and the requests that read them:\n")
    for name in sorted(readers):
        if name in JUSTIFIED:
            who, what = JUSTIFIED[name]
            verdict = "ok" if f"{who} {what}" in readers[name] else "NOT READ by its request"
        else:
            verdict = "ok" if name in CONSTRAINTS else "NOT JUSTIFIED"
        failures += verdict != "ok"
        sys.stdout.write(f"{verdict} {name}: read by {len(readers[name])}\n")
        for reader in readers[name][:3]:
            sys.stdout.write(f"          {reader}\n")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
