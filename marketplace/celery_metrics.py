"""Celery task outcomes and durations by task name, and the worker's own /metrics server.

The signals fire in the process that runs the task: a prefork child in the worker (which
therefore needs PROMETHEUS_MULTIPROC_DIR, like web), or the web process when tasks run
eagerly (`make run`, tests).
"""

import logging
import time
from typing import Any

import prometheus_client
from celery.signals import task_postrun, task_prerun, worker_ready
from django.conf import settings
from prometheus_client import Counter, Histogram

from core.metrics import metrics_registry

logger = logging.getLogger(__name__)

tasks = Counter(
    "marketplace_celery_tasks",
    "Celery tasks finished, by task name and state (success, failure, retry...).",
    ["task", "state"],
)
task_duration = Histogram(
    "marketplace_celery_task_duration_seconds",
    "How long Celery tasks ran, by task name.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)

_started: dict[str, float] = {}


def _task_started(task_id: str, **kwargs: Any) -> None:
    _started[task_id] = time.perf_counter()


def _task_finished(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    started = _started.pop(task_id, None)
    name = getattr(task, "name", None) or "unknown"
    tasks.labels(name, (state or "unknown").lower()).inc()
    if started is not None:
        task_duration.labels(name).observe(time.perf_counter() - started)


def _serve_worker_metrics(**kwargs: Any) -> None:
    """The worker's main process serves what its children recorded, on WORKER_METRICS_PORT
    (inside the compose network only: it has no token)."""
    port = settings.WORKER_METRICS_PORT
    if port is None:
        return
    prometheus_client.start_http_server(port, registry=metrics_registry())
    logger.info("Worker metrics served on port %s", port)


def connect_signals() -> None:
    task_prerun.connect(_task_started, weak=False, dispatch_uid="metrics-task-prerun")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="metrics-task-postrun")
    worker_ready.connect(_serve_worker_metrics, weak=False, dispatch_uid="metrics-worker-ready")
