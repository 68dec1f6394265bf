#!/usr/bin/env python3
"""What the middleware costs an API request, old chain against new, in one process.

Runs `GET /api/v1/no-such-path/` (DRF's 404 view: no database, no cache) through Django's WSGI
handler N times with each middleware list, with Prometheus in multiprocess mode as gunicorn
runs it, and prints the CPU microseconds per request (`time.process_time`, so other load on
the machine counts little). Logging is off: both lists write the same access-log line. The
lists: the one before the API's lean path (django-prometheus' pair, GZip, sessions, the admin's
authentication and messages on every request), `settings.MIDDLEWARE` as it is, and the same
without the request metrics (what they cost: the difference).

    .venv/bin/python bench/middleware.py [--requests 20000]
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-middleware-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.test")

import logging  # noqa: E402

import django  # noqa: E402

django.setup()
logging.disable(logging.CRITICAL)

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test import override_settings  # noqa: E402

BEFORE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "marketplace.api.middleware.RequestIdMiddleware",
    "marketplace.api.middleware.ApiHostMiddleware",
    "marketplace.api.request_metrics.RequestMetricsMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "marketplace.api.debug_pages.LocalDebugPagesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]


def environ() -> dict[str, object]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/no-such-path/",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "HTTP_ACCEPT_ENCODING": "gzip",
        "HTTP_COOKIE": "sessionid=abc; csrftoken=def",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }


def cpu_us_per_request(middleware: list[str], requests: int) -> float:
    with override_settings(MIDDLEWARE=middleware):
        handler = WSGIHandler()
        statuses = []

        def start_response(status: str, headers: object, exc_info: object = None) -> Any:
            statuses.append(status)
            return None

        for _ in range(200):  # warm-up: imports, caches, the URL resolver
            b"".join(handler(environ(), start_response))
        started = time.process_time()
        for _ in range(requests):
            b"".join(handler(environ(), start_response))
        spent = time.process_time() - started
    if not all(status.startswith("404") for status in statuses):
        raise SystemExit(f"unexpected answers: {set(statuses)}")
    return spent / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    metrics = "marketplace.api.request_metrics.RequestMetricsMiddleware"
    lists = {
        "before (full chain)": BEFORE,
        "now (settings.MIDDLEWARE)": settings.MIDDLEWARE,
        "now without the request metrics": [m for m in settings.MIDDLEWARE if m != metrics],
    }
    results: dict[str, list[float]] = {name: [] for name in lists}
    for _ in range(args.rounds):  # alternated, so drift in the machine's load hits both
        for name, middleware in lists.items():
            results[name].append(cpu_us_per_request(list(middleware), args.requests))
    for name, values in results.items():
        sys.stdout.write(f"{name}: {min(values):.0f} µs CPU per request (best of {args.rounds})\n")


if __name__ == "__main__":
    main()
