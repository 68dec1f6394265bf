"""gunicorn hooks for deploy/web.sh (which passes the plain settings as flags)."""

import os
from typing import Any

from prometheus_client import multiprocess


def child_exit(server: Any, worker: Any) -> None:
    # A replaced or crashed worker's live gauges would otherwise go on being summed into
    # /metrics (prometheus_client multiprocess mode).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
