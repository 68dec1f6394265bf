"""What every app's tasks build on: the base for tasks that call an outside service, and the
one way the project enqueues work."""

import logging
from typing import Any

from celery import Task, current_app
from celery.exceptions import NotRegistered
from django.db import transaction

logger = logging.getLogger(__name__)


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
            current_app.tasks[task_name].apply_async(kwargs=kwargs)
        except NotRegistered:
            logger.error("No task named %s is registered; nothing was enqueued", task_name)
        except Exception:
            logger.exception("Could not enqueue %s; its sweep will retry", task_name)

    transaction.on_commit(send)
