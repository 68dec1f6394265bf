"""The listings table has the indexes `bench/explain.py` justifies, and no other.

An index no query reads costs every write of the busiest table and is one more path for the
planner to weigh on every statement. Each index is named in `bench.explain.JUSTIFIED` with a
request whose plan reads it on the benchmark's million listings (which `bench/explain.py`
checks there: at a test's few hundred rows the planner rightly chooses otherwise); a new index
comes with its request, and one that no request needs any longer is dropped."""

import pytest
from django.db import connection

from bench.explain import CONSTRAINTS, JUSTIFIED, TABLE

pytestmark = pytest.mark.django_db


def test_the_listings_table_has_the_justified_indexes_and_no_other() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])
        indexes = {name for (name,) in cursor.fetchall()}

    assert indexes == set(JUSTIFIED) | CONSTRAINTS
