"""What PostgreSQL's plan for a query reads: for tests that a hot query stays on its indexes.

A test's tables hold a few rows, on which the planner reads every table through whatever its
indexes. So the plan is asked for with reading a whole table made as dear as it can be, and
with nested loops as the only joins (a merge join would walk a whole index instead), on
statistics freshly taken (`ANALYZE`) of tables that `crowd()` has filled with other people's
rows, as a real database is: the planner then reads through an index wherever one answers a
condition, and a condition none can answer (an OR across a join, a function no expression
index matches) still reads everything — through the table, or an index with no condition.
"""

import json
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

SETTINGS = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")
# The planner's costs on production's server (docker-compose.yml: `make test` checks they match)
# and on PostgreSQL's defaults, which CI's server runs with: a hot query must stay on its indexes
# under both.
PLANNERS = {
    "production": {"random_page_cost": "1.1", "effective_cache_size": "3GB"},
    "defaults": {"random_page_cost": "4", "effective_cache_size": "4GB"},
}


def plan_nodes(
    query: QuerySet[Any, Any] | str, planner: str = "production"
) -> list[dict[str, Any]]:
    """Every node of the plan of a queryset, or of SQL with its values in it (as
    `CaptureQueriesContext` records it), under one of the `PLANNERS`' costs."""
    if isinstance(query, str):
        sql, params = query, None
    else:
        sql, params = query.query.sql_with_params()
    # SET LOCAL lasts until the end of the (inner) transaction, and only inside one.
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in SETTINGS:
            cursor.execute(f"SET LOCAL {setting} = off")
        for setting, value in PLANNERS[planner].items():
            cursor.execute(f"SET LOCAL {setting} = '{value}'")
        # Planned once to learn the tables, then again on their statistics: a table never
        # analyzed is guessed from its size on disk, which earlier tests leave behind, and the
        # join order (which side drives a nested loop) followed that guess from run to run.
        tables = {node.get("Relation Name") for node in _explain(cursor, sql, params)} - {None}
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        nodes = _explain(cursor, sql, params)
        transaction.set_rollback(True)
    return nodes


def _explain(cursor: Any, sql: str, params: Any) -> list[dict[str, Any]]:
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
    [[document]] = cursor.fetchall()
    [root] = json.loads(document) if isinstance(document, str) else document
    nodes, pending = [], [root["Plan"]]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.get("Plans", ()))
    return nodes


def whole_reads(query: QuerySet[Any, Any] | str) -> list[str]:
    """The scans that read a whole table or a whole index under either planner, e.g.
    `Seq Scan on listings_listing (production)`.

    An index scan whose condition is on a later column only still walks the whole index and
    is not caught here: where one index matters, check its name with `indexes_read`."""
    return [
        f"{node['Node Type']} on {node.get('Relation Name') or node.get('Index Name')} ({planner})"
        for planner in PLANNERS
        for node in plan_nodes(query, planner)
        if node["Node Type"] == "Seq Scan"
        or (node["Node Type"].endswith("Index Scan") and "Index Cond" not in node)
    ]


def indexes_read(query: QuerySet[Any, Any] | str) -> set[str]:
    """The indexes the plan reads under both planners."""
    read = [
        {node["Index Name"] for node in plan_nodes(query, planner) if "Index Name" in node}
        for planner in PLANNERS
    ]
    return set.intersection(*read)


def crowd(people: int = 60, listings: int = 600) -> None:
    """Other people's rows around a test's own: users, businesses and their teams, listings of
    every category with their details (half of them a business's) and threads. Without them a
    user's few rows are the whole table, and the planner rightly reads the whole of a table of
    two rows."""
    from accounts.models import User
    from business.models import Business, Membership
    from chat.models import Thread
    from listings.models import CarDetails, HorseDetails, Listing, RealEstateDetails

    users = User.objects.bulk_create(
        User(phone=f"+996555{index:06d}", display_name=f"Crowd {index}") for index in range(people)
    )
    businesses = Business.objects.bulk_create(
        Business(name=f"Crowd {index}", slug=f"crowd-{index}") for index in range(people // 6)
    )
    Membership.objects.bulk_create(
        Membership(business=businesses[index % len(businesses)], user=user, role="seller")
        for index, user in enumerate(users)
    )
    now = timezone.now()
    categories = ("car", "horse", "real_estate")
    rows = Listing.objects.bulk_create(
        Listing(
            author=users[index % people],
            business=businesses[index % len(businesses)] if index % 2 else None,
            category=categories[index % 3],
            status="active",
            title=f"Crowd car {index}",
            price=1000 + index,
            currency="KGS",
            price_kgs=1000 + index,
            price_kzt=1000 + index,
            price_usd=10,
            city="Бишкек",
            published_at=now,
        )
        for index in range(listings)
    )
    # Each with its details, so no details table is the handful of rows a planner reads whole.
    CarDetails.objects.bulk_create(
        CarDetails(listing=listing, make="Toyota", model="Camry", year=2015, mileage_km=1000)
        for listing in rows
        if listing.category == "car"
    )
    HorseDetails.objects.bulk_create(
        HorseDetails(listing=listing, breed="Кыргыз жылкысы", sex="mare", birth_year=2018)
        for listing in rows
        if listing.category == "horse"
    )
    RealEstateDetails.objects.bulk_create(
        RealEstateDetails(listing=listing, property_type="apartment", deal_type="sale", area_m2=50)
        for listing in rows
        if listing.category == "real_estate"
    )
    Thread.objects.bulk_create(
        Thread(listing=listing, buyer=users[(index + 1) % people])
        for index, listing in enumerate(rows)
    )
