"""The Celery app. Tasks are declared with `@shared_task` in their apps; the kernel's
`core.tasks` has the task base for outside calls and the one way the project enqueues work."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

from marketplace import celery_metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
celery_metrics.connect_signals()


@setup_logging.connect
def _keep_djangos_logging(loglevel: int | None = None, **_kwargs: Any) -> None:
    """Connected, this signal stops Celery from replacing the root logger's handlers with its
    own plain-text ones: the workers and beat write the settings' LOGGING (JSON lines, token
    redaction) like web and ws, which Loki's `| json` and the level label rely on. Celery's own
    loggers keep the level of `--loglevel` (the worker's "ready." line is INFO)."""
    if loglevel:
        logging.getLogger("celery").setLevel(loglevel)
