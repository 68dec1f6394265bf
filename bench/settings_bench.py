"""Production settings plus the benchmark's floor view (bench/urls.py); only `make bench` uses
these, through DJANGO_SETTINGS_MODULE=bench.settings_bench."""

from marketplace.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
