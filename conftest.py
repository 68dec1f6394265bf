"""Test-wide wiring: the suite runs against the real PostgreSQL and Redis, or not at all."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _check_services() -> list[str]:
    import psycopg
    import redis
    from django.conf import settings

    problems = []
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        problems.append("DATABASE_URL points at SQLite; the tests need PostgreSQL.")
    else:
        try:
            psycopg.connect(
                host=database["HOST"] or "127.0.0.1",
                port=database["PORT"] or 5432,
                user=database["USER"],
                password=database["PASSWORD"],
                dbname="postgres",
                connect_timeout=3,
            ).close()
        except psycopg.Error as exc:
            problems.append(
                f"PostgreSQL is not reachable at {database['HOST']}:{database['PORT']} ({exc}). "
                "Start it or set DATABASE_URL."
            )
    try:
        redis.Redis.from_url(str(settings.REDIS_URL), socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        problems.append(
            f"Redis is not reachable at {settings.REDIS_URL} ({exc}). Start it or set REDIS_URL."
        )
    return problems


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller already checked
    problems = _check_services()
    if problems:
        pytest.exit("\n".join(["The test suite needs its services:", *problems]), returncode=3)


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _errors_are_in_the_schema(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test whose API answered an error status or code the OpenAPI schema does not
    list for that operation (see tests/error_codes.py)."""
    from tests.error_codes import install, recorder, undeclared

    install()
    recorder.answers.clear()
    yield
    problems = sorted({why for answer in recorder.answers if (why := undeclared(answer))})
    recorder.answers.clear()
    if problems:
        pytest.fail("Error answers the schema does not declare:\n" + "\n".join(problems))
