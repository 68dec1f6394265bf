"""PostgreSQL plans a hot statement once per connection, not once per request.

Values travel apart from the SQL text (`server_side_binding`), and psycopg prepares a statement
its connection has run `prepare_threshold` (5) times; PostgreSQL then keeps its plan for the
connection's life, or re-plans it per execution when a plan for the values at hand is worth it
(plan_cache_mode `auto`). `DATABASE_TRANSACTION_POOLER=true` turns preparing off, for a
transaction pooler, whose server connections change between transactions (docs/operations.md).
"""

import pytest
from django.db import connection
from django.test import Client

from listings.tests.factories import ListingFactory
from tests.test_settings import PRODUCTION_ENV, django_shell

pytestmark = pytest.mark.django_db


def prepared_statements() -> list[tuple[str, int, int]]:
    """The statements this connection has prepared (psycopg's, not SQL PREPAREs)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE NOT from_sql"
        )
        return list(cursor.fetchall())


def test_the_feed_and_a_listing_are_prepared_after_five_requests(client: Client) -> None:
    listing = ListingFactory()

    for _ in range(4):
        assert client.get("/api/v1/listings/feed/").status_code == 200
    fewer = [s for s, _g, _c in prepared_statements() if '"listings_listing"' in s]
    for _ in range(3):
        assert client.get("/api/v1/listings/feed/").status_code == 200
        assert client.get(f"/api/v1/listings/{listing.pk}/").status_code == 200
    prepared = prepared_statements()

    feed = [(s, g, c) for s, g, c in prepared if '"listings_listing"' in s and "ORDER BY" in s]
    assert fewer == []  # four runs: not yet
    assert feed, [s for s, _g, _c in prepared]
    # Each later run executed the prepared statement, planned for its values or generically.
    assert all(generic + custom >= 2 for _s, generic, custom in feed)


def test_preparing_can_be_turned_off_for_a_transaction_pooler() -> None:
    show = (
        "from django.conf import settings\n"
        "options = settings.DATABASES['default']['OPTIONS']\n"
        "print(options['server_side_binding'], options['prepare_threshold'],"
        " settings.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])"
    )

    on = django_shell(PRODUCTION_ENV, show)
    off = django_shell({**PRODUCTION_ENV, "DATABASE_TRANSACTION_POOLER": "true"}, show)

    assert on.returncode == 0, on.stderr
    assert on.stdout.split()[-3:] == ["True", "5", "False"]
    assert off.stdout.split()[-3:] == ["True", "None", "True"]
