"""Settings come from the environment, and refuse to start on a bad or missing value."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.devhosts import banner, lan_addresses

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
        and key != "ALLOWED_HOSTS"
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


def django_shell(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    return run_django(env, "shell", "--no-imports", "-c", code)


def test_local_settings_accept_the_emulator_and_lan_hosts_unless_allowed_hosts_is_set() -> None:
    local = {"DJANGO_SETTINGS_MODULE": "marketplace.settings.local"}
    show = (
        "import json\nfrom django.conf import settings\nprint(json.dumps(settings.ALLOWED_HOSTS))"
    )

    result = django_shell(local, show)
    assert result.returncode == 0, result.stderr
    hosts = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"localhost", "127.0.0.1", "[::1]", "10.0.2.2", "10.0.3.2"} <= set(hosts)
    assert {socket.gethostname(), *lan_addresses()} <= set(hosts)

    result = django_shell({**local, "ALLOWED_HOSTS": "dev.example.org"}, show)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["dev.example.org"]


def test_eager_tasks_under_local_settings_log_no_line_each_and_no_broker_warning() -> None:
    result = django_shell(
        {"DJANGO_SETTINGS_MODULE": "marketplace.settings.local", "SMS_BACKEND": "console"},
        "from core.tasks import enqueue_on_commit\n"
        "enqueue_on_commit('accounts.send_sms', phone='+996700000009', text='Code 123456')",
    )

    assert result.returncode == 0, result.stderr
    logged = result.stdout + result.stderr
    assert "SMS to +996700000009" in logged  # the task ran, and its own line shows
    assert "celery.app.trace" not in logged
    assert "kombu" not in logged


def test_the_run_banner_names_the_addresses_a_phone_and_an_emulator_use() -> None:
    everywhere = "\n".join(banner("0.0.0.0", "8000"))  # noqa: S104 - what `HOST` may say
    for address in lan_addresses():
        assert f"http://{address}:8000" in everywhere
    assert "http://10.0.2.2:8000" in everywhere

    loopback = "\n".join(banner("127.0.0.1", "8000"))
    assert "http://127.0.0.1:8000" in loopback
    assert "HOST=0.0.0.0" in loopback
