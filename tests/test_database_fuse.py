"""The PostgreSQL backend's outage fuse (marketplace/postgres/base.py), on real connections:
a pooled database on a port nothing listens on, and the test database itself."""

import copy
from typing import Any

import psycopg
import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler

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
