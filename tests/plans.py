"""What PostgreSQL's plan for a query reads: for tests that a hot query stays on its indexes.

A test's tables hold a few rows, on which the planner reads every table through whatever its
indexes. So the plan is asked for with reading a whole table made as dear as it can be, and
with nested loops as the only joins (a merge join would walk a whole index instead): the
planner then reads through an index wherever one answers a condition, and a condition none
can answer (an OR across a join, a function no expression index matches) still reads
everything — through the table, or through an index with no condition on it.
"""

import json
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

SETTINGS = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")


def plan_nodes(query: QuerySet[Any, Any] | str) -> list[dict[str, Any]]:
    """Every node of the plan of a queryset, or of SQL with its values in it (as
    `CaptureQueriesContext` records it)."""
    if isinstance(query, str):
        sql, params = query, None
    else:
        sql, params = query.query.sql_with_params()
    # SET LOCAL lasts until the end of the (inner) transaction, and only inside one.
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in SETTINGS:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        [[document]] = cursor.fetchall()
        transaction.set_rollback(True)
    [root] = json.loads(document) if isinstance(document, str) else document
    nodes, pending = [], [root["Plan"]]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.get("Plans", ()))
    return nodes


def whole_reads(query: QuerySet[Any, Any] | str) -> list[str]:
    """The scans that read a whole table or a whole index, e.g. `Seq Scan on listings_listing`.

    An index scan whose condition is on a later column only still walks the whole index and
    is not caught here: where one index matters, check its name with `indexes_read`."""
    return [
        f"{node['Node Type']} on {node.get('Relation Name') or node.get('Index Name')}"
        for node in plan_nodes(query)
        if node["Node Type"] == "Seq Scan"
        or (node["Node Type"].endswith("Index Scan") and "Index Cond" not in node)
    ]


def indexes_read(query: QuerySet[Any, Any] | str) -> set[str]:
    return {node["Index Name"] for node in plan_nodes(query) if "Index Name" in node}
