"""The Celery app, and the one way the project enqueues work."""

import logging
import os
from typing import Any

from celery import Celery, Task
from celery.exceptions import NotRegistered
from celery.signals import setup_logging
from django.db import transaction

from marketplace import celery_metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
celery_metrics.connect_signals()

logger = logging.getLogger(__name__)


@setup_logging.connect
def _keep_djangos_logging(loglevel: int | None = None, **_kwargs: Any) -> None:
    """Connected, this signal stops Celery from replacing the root logger's handlers with its
    own plain-text ones: the workers and beat write the settings' LOGGING (JSON lines, token
    redaction) like web and ws, which Loki's `| json` and the level label rely on. Celery's own
    loggers keep the level of `--loglevel` (the worker's "ready." line is INFO)."""
    if loglevel:
        logging.getLogger("celery").setLevel(loglevel)


class ExternalCallTask(Task):
    """Base for tasks that call an outside service (SMS, push, Anthropic, payments).

    Acknowledged only after it finishes, so a worker crash redelivers it; transient errors
    retry with exponential backoff. Such a task must be safe to run twice.
    """

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (ConnectionError, TimeoutError, OSError)
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 8


def enqueue_on_commit(task_name: str, **kwargs: Any) -> None:
    """Send a task by name once the current transaction commits (at once outside one).

    By name, so a lower app can start work a higher app owns. A failed enqueue (the broker is
    down) is logged, never raised: the request has already succeeded, and the periodic sweep
    of the app that owns the work picks it up later.
    """

    def send() -> None:
        try:
            app.tasks[task_name].apply_async(kwargs=kwargs)
        except NotRegistered:
            logger.error("No task named %s is registered; nothing was enqueued", task_name)
        except Exception:
            logger.exception("Could not enqueue %s; its sweep will retry", task_name)

    transaction.on_commit(send)
