"""Settings come from the environment, and refuse to start on a bad or missing value."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
    "SECRET_KEY": "a-production-secret-key-of-more-than-fifty-characters-0123456789",
    "JWT_SIGNING_KEY": "a-different-jwt-signing-key-of-enough-length-abcdef",
    "ALLOWED_HOSTS": "api.360.kg",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/marketplace",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "METRICS_TOKEN": "metrics-token",
}


def run_django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "JWT_SIGNING_KEY", "DATABASE_URL", "REDIS_URL"}
        and not key.startswith("DJANGO_")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check() -> None:
    result = run_django(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off() -> None:
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}

    result = run_django(env, "check")

    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_settings_refuse_a_short_secret_key() -> None:
    result = run_django({**PRODUCTION_ENV, "SECRET_KEY": "short"}, "check")

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 32 characters" in result.stderr


def test_settings_refuse_a_short_jwt_signing_key() -> None:
    result = run_django({**PRODUCTION_ENV, "JWT_SIGNING_KEY": "k"}, "check")

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must be at least 32 characters" in result.stderr


def test_settings_take_a_jwt_signing_key_of_32_characters() -> None:
    result = run_django({**PRODUCTION_ENV, "JWT_SIGNING_KEY": "j" * 32}, "check")

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_POOL_MAX_SIZE", "lots"),
        ("DEFAULT_CURRENCY", "EUR"),
        ("TRUSTED_PROXIES", "not-an-ip"),
        ("DATABASE_URL", "mysql://root@localhost/db"),
    ],
)
def test_a_bad_value_stops_the_process_naming_the_variable(name: str, value: str) -> None:
    result = run_django({**PRODUCTION_ENV, name: value}, "check")

    assert result.returncode != 0
    assert name in result.stderr


def test_local_settings_run_on_embedded_defaults() -> None:
    result = run_django({"DJANGO_SETTINGS_MODULE": "marketplace.settings.local"}, "diffsettings")

    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout
    assert "InMemoryChannelLayer" in result.stdout
    assert "CELERY_TASK_ALWAYS_EAGER = True" in result.stdout
