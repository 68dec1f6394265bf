"""The database: PostgreSQL from DATABASE_URL through the connection pool, or the embedded SQLite
of `make run` without it. Part of base.py."""

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_optional_str

DATABASE_URL = env_optional_str("DATABASE_URL")
# PgBouncer (or another pooler) in transaction mode between the app and PostgreSQL.
_TRANSACTION_POOLER = env_bool("DATABASE_TRANSACTION_POOLER", False)
_db: dict[str, Any]
if DATABASE_URL:
    _db = dict(dj_database_url.parse(DATABASE_URL))
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL.")
    _db["ENGINE"] = "marketplace.postgres"  # django-prometheus's, with an outage fuse
    _db["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django must hand them back
    # The pool checks a connection before lending it, so the connections a database restart
    # broke are replaced instead of failing the next requests: with the backend's own check
    # (marketplace.postgres), which costs no round trip for a healthy connection; Django's
    # (CONN_HEALTH_CHECKS) would send one before every request and chat message.
    _db["CONN_HEALTH_CHECKS"] = False
    # A named cursor (`.iterator()`) lives in one server connection, which a transaction
    # pooler does not keep between transactions.
    _db["DISABLE_SERVER_SIDE_CURSORS"] = _TRANSACTION_POOLER
    _db["OPTIONS"] = {
        # Search's typo fallback: a word at 0.4 trigram similarity ("Mersedes" for
        # "Mercedes") counts as alike; PostgreSQL's default of 0.6 misses most typos. The
        # database has it too (listings migration 0013): a transaction pooler refuses this
        # startup option, and connections opened before that migration lack the database's.
        **({} if _TRANSACTION_POOLER else {"options": "-c pg_trgm.word_similarity_threshold=0.4"}),
        # An unreachable host (no refusal, just silence) must not stall a connection attempt.
        "connect_timeout": 3,
        # Values travel apart from the SQL text, and psycopg prepares a statement a connection
        # has run 5 times: PostgreSQL then plans it once per connection, not per request. Not
        # behind a transaction pooler, whose server connections change between transactions
        # (docs/operations.md, "Behind PgBouncer").
        "server_side_binding": True,
        "prepare_threshold": None if _TRANSACTION_POOLER else 5,
        "pool": {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1, minimum=0),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10, minimum=1),
            # How long a request waits for a connection before it answers 503.
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 5, minimum=1),
            # The pool retries a failed connection with a doubling delay; giving up after a
            # few seconds lets the next request start afresh, so an outage's end is noticed
            # within seconds rather than after the last, longest delay.
            "reconnect_timeout": 4,
        },
    }
else:
    _db = {
        "ENGINE": "django_prometheus.db.backends.sqlite3",
        "NAME": str(Path(__file__).resolve().parent.parent.parent / "db.sqlite3"),
        "OPTIONS": {
            # Several ASGI threads write at once: wait for the lock rather than fail.
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
DATABASES = {"default": _db}
