"""The PostgreSQL backend's outage fuse and its check of lent connections
(marketplace/postgres/base.py), on real connections: a pooled database on a port nothing
listens on, and the test database itself."""

import copy
import datetime
import os
import resource
import select
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler
from psycopg_pool import ConnectionPool

from marketplace.postgres import base as fuse

pytestmark = pytest.mark.django_db


def pooled(settings: Any, alias: str, **changes: Any) -> ConnectionHandler:
    # Pools are kept per alias for the process: a new alias gets a pool of its own.
    database = copy.deepcopy(settings.DATABASES["default"])
    database["OPTIONS"]["pool"].update(min_size=0, timeout=1, reconnect_timeout=1)
    database.update(changes)
    return ConnectionHandler({"default": settings.DATABASES["default"], alias: database})


@pytest.fixture(autouse=True)
def _fresh_fuse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuse._Outage, "refused", False)
    monkeypatch.setattr(fuse._Outage, "next_probe", 0.0)


def test_after_a_refused_connection_requests_fail_at_once_but_one_a_second_probes(
    settings: Any,
) -> None:
    dead = pooled(settings, "dead", PORT="1")["dead"]
    try:
        # The first request waits for the pool, whose attempt is refused.
        with pytest.raises(OperationalError, match="couldn't get a connection"):
            dead.ensure_connection()
        assert fuse._Outage.refused
        # The next ones, within the second, do not wait for the pool at all.
        with pytest.raises(OperationalError, match="refused a connection just now"):
            dead.ensure_connection()
        # A second later one request goes to the pool again.
        fuse._Outage.next_probe = 0.0
        with pytest.raises(OperationalError, match="couldn't get a connection"):
            dead.ensure_connection()
    finally:
        dead.close()
        dead.close_pool()


def test_a_connection_that_opens_ends_the_outage() -> None:
    from django.db import connection

    params = {**connection.get_connection_params(), "autocommit": True}
    params.pop("cursor_factory", None)
    with pytest.raises(psycopg.OperationalError):
        fuse.WatchedConnection.connect(**{**params, "port": 1})
    assert fuse._Outage.refused

    fuse.WatchedConnection.connect(**params).close()

    assert not fuse._Outage.refused


def test_the_pool_opens_connections_through_the_watched_class(settings: Any) -> None:
    wrapper = pooled(settings, "watched")["watched"]
    try:
        assert wrapper.pool.connection_class is fuse.WatchedConnection
    finally:
        wrapper.close_pool()


def _connect() -> psycopg.Connection[Any]:
    from django.db import connection

    params = {**connection.get_connection_params(), "autocommit": True}
    params.pop("cursor_factory", None)
    return psycopg.Connection.connect(**params)


def _sent(connection: psycopg.Connection[Any], trace: Path, work: Callable[[], Any]) -> list[str]:
    """What the client sent the server during `work`, as libpq traces it: one line per
    message, "<time>\tF\t<length>\t<message> ..."."""
    with trace.open("w") as sink:
        connection.pgconn.trace(sink.fileno())
        try:
            work()
        finally:
            connection.pgconn.untrace()
    return [line.split("\t", 3)[3] for line in trace.read_text().splitlines() if "\tF\t" in line]


def test_a_healthy_connection_is_lent_without_a_round_trip(tmp_path: Path) -> None:
    connection = _connect()
    try:
        sent = _sent(connection, tmp_path / "trace", lambda: fuse.check_lent_connection(connection))
        # Psycopg_pool's own check, for comparison: an empty query.
        checked = _sent(
            connection, tmp_path / "trace", lambda: ConnectionPool.check_connection(connection)
        )
    finally:
        connection.close()

    assert sent == []
    assert checked == ['Query\t ""']


def test_a_connection_numbered_above_1024_is_checked_too() -> None:
    # A socket worker holds thousands of sockets: its database connections come after them.
    # On a machine whose soft limit is 1,024 descriptors, raised for this test as a server's is.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard == resource.RLIM_INFINITY or hard > 1200, f"the hard limit is {hard}"
    if soft != resource.RLIM_INFINITY and soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1200, hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        connection = _connect()
    finally:
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        assert connection.fileno() > 1024

        fuse.check_lent_connection(connection)

        [(one,)] = connection.execute("SELECT 1").fetchall()
        assert one == 1
    finally:
        connection.close()


def test_a_connection_whose_server_went_away_fails_the_check() -> None:
    connection = _connect()
    try:
        backend = connection.info.backend_pid
        with _connect() as other:
            other.execute("SELECT pg_terminate_backend(%s)", [backend])
        # The server's goodbye reaches the socket: the check sees it and asks.
        deadline = time.monotonic() + 5
        while not select.select([connection.fileno()], [], [], 0.1)[0]:
            assert time.monotonic() < deadline, "the termination never reached the socket"

        with pytest.raises(psycopg.OperationalError):
            fuse.check_lent_connection(connection)
    finally:
        connection.close()


def test_the_pool_lends_another_connection_for_one_whose_server_went_away(settings: Any) -> None:
    wrapper = pooled(settings, "lent")["lent"]
    params = wrapper.get_connection_params()
    try:
        # What `connect()` does first: a connection from the pool, through the backend.
        first = wrapper.get_new_connection(params)
        backend = first.info.backend_pid
        wrapper.pool.putconn(first)  # back to the pool, idle
        with _connect() as other:
            other.execute("SELECT pg_terminate_backend(%s)", [backend])
        deadline = time.monotonic() + 5
        while not select.select([first.fileno()], [], [], 0.1)[0]:
            assert time.monotonic() < deadline, "the termination never reached the socket"

        lent = wrapper.get_new_connection(params)
        [(now,)] = lent.execute("SELECT pg_backend_pid()").fetchall()
        wrapper.pool.putconn(lent)

        assert now != backend
    finally:
        wrapper.close_pool()


def test_times_are_read_by_psycopgs_loader_as_django_reads_them() -> None:
    from django.db import connection

    from accounts.tests.factories import UserFactory

    user = UserFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT created_at, %s::timestamptz FROM accounts_user WHERE id = %s",
            ["2026-12-08 03:04:05.123456+06", user.pk],
        )
        created_at, given = cursor.fetchone()
        loader = connection.connection.adapters.get_loader(
            psycopg.adapters.types["timestamptz"].oid, psycopg.pq.Format.TEXT
        )

    assert loader is fuse.UtcTimestamptzLoader
    # Aware, in Django's UTC, the same instants.
    assert created_at.tzinfo is datetime.UTC
    assert given.tzinfo is datetime.UTC
    assert given == datetime.datetime(2026, 12, 7, 21, 4, 5, 123456, tzinfo=datetime.UTC)
    assert type(user).objects.get(pk=user.pk).created_at == created_at
