"""The PostgreSQL backend: django-prometheus's (for its query metrics) with a fuse for outages,
every statement timed into marketplace_db_query_duration_seconds (core.metrics), a check of
the pool's connections that costs a healthy one no round trip, and times read by psycopg's C
loader.

While the database refuses connections, every request would wait the pool's whole timeout
for a connection that will not come, holding a server thread all that time; a few such waits
fill every thread, health checks included. So the pool's connection attempts are watched:
once one failed, and until one succeeds, a request that finds no idle connection is refused
at once (503 through the error handler), except one probe at a time, a second apart, which
waits for the pool and so lets it find the database again as soon as it is back.
"""

import datetime
import math
import select
import time
from typing import Any, Self, cast

import psycopg
from django_prometheus.db.backends.postgresql import base
from psycopg.adapt import AdaptersMap, Loader
from psycopg.pq import Format
from psycopg_pool import ConnectionPool

from core.metrics import time_query

PROBE_SECONDS = 1.0


class _Outage:
    # Plain attributes shared by the process's threads: a race lets one more request wait
    # for the pool, no more.
    refused = False
    next_probe = 0.0


class WatchedConnection(psycopg.Connection[Any]):
    """The pool's connections, recording whether the last attempt to open one failed."""

    @classmethod
    def connect(cls, conninfo: str = "", **kwargs: Any) -> Self:
        try:
            connection = super().connect(conninfo, **kwargs)
        except psycopg.OperationalError:
            _Outage.refused = True
            raise
        _Outage.refused = False
        return connection


# psycopg registers it for every connection (so it is never None).
_TIMESTAMPTZ = cast(
    "type[Loader]",
    psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT),
)


class UtcTimestamptzLoader(Loader):
    """Reads `timestamptz` with psycopg's own loader (its C one with psycopg[binary]).

    Django registers a loader written in Python that parses each value and then sets the
    database's time zone on it: 3.4 µs a value against 1 (a feed page reads 61). On a
    connection in UTC, as Django keeps its connections, psycopg's loader already gives
    Django's `datetime.timezone.utc`. `timezone` is what Django compares to decide whether a
    cursor needs its own loader."""

    timezone = datetime.UTC

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self.load = _TIMESTAMPTZ(oid, context).load  # type: ignore[method-assign]

    def load(self, data: Any) -> datetime.datetime:  # replaced per instance, above
        raise NotImplementedError


def check_lent_connection(connection: psycopg.Connection[Any]) -> None:
    """The pool's check of a connection before lending it.

    A healthy idle connection has nothing to read: the server writes to it only when asked,
    or to say it is going away (a restart, a terminated backend), and a closed socket reads
    as its end. Only such a connection is asked with a round trip (psycopg_pool's own check),
    which then fails and the pool replaces it; a healthy one costs a poll, not a round trip
    before every request."""
    # poll(), not select(): a socket worker holds thousands of sockets, and select() refuses a
    # descriptor numbered 1024 or above.
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    if poller.poll(0) or connection.broken:
        ConnectionPool.check_connection(connection)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, settings_dict: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        # Set here, not in the settings, which cannot import a database backend; every
        # thread's wrapper sees the same dict, so this is done once in effect.
        pool = settings_dict.get("OPTIONS", {}).get("pool")
        if isinstance(pool, dict):
            pool.setdefault("connection_class", WatchedConnection)
        super().__init__(settings_dict, *args, **kwargs)
        # One wrapper per thread's connection object, kept for its life: it outlives the
        # physical connections the pool lends it.
        self.execute_wrappers.append(time_query)

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        if "context" in params and self.timezone is datetime.UTC:
            # Django's template is shared (cached): the loader goes on a copy of it.
            context = AdaptersMap(params["context"])
            context.register_loader("timestamptz", UtcTimestamptzLoader)
            params["context"] = context
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        pool = self.pool
        if pool is not None and _Outage.refused and not pool.get_stats().get("pool_available"):
            if time.monotonic() < _Outage.next_probe:
                raise psycopg.OperationalError("The database refused a connection just now")
            _Outage.next_probe = math.inf  # this request probes; the others fail at once
        try:
            connection = self._lent_connection(conn_params)
        except BaseException:
            _Outage.next_probe = time.monotonic() + PROBE_SECONDS
            raise
        _Outage.next_probe = 0.0
        return connection

    def _lent_connection(self, conn_params: dict[str, Any]) -> Any:
        """A connection from the pool that passes `check_lent_connection`: one that fails it
        is handed back broken, which the pool discards, and another is asked for; a new
        one passes (at most as many tries as the pool holds connections, and one more)."""
        pool = self.pool
        if pool is None:
            return super().get_new_connection(conn_params)
        for _ in range(pool.max_size):
            connection = super().get_new_connection(conn_params)
            try:
                check_lent_connection(connection)
            except psycopg.Error:
                pool.putconn(connection)
                continue
            except BaseException:
                pool.putconn(connection)
                raise
            return connection
        return super().get_new_connection(conn_params)
