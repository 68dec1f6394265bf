#!/bin/sh
# Celery worker entry point. Tasks run in prefork child processes, which record their metrics in
# PROMETHEUS_MULTIPROC_DIR; the main process serves them on CELERY_METRICS_PORT
# (marketplace/celery_metrics.py) for Prometheus.
#
# CELERY_CONCURRENCY: child processes of this worker (default 2); scale further with more
# worker containers (`docker-compose up --scale worker=N`).
set -eu

. "$(dirname "$0")/prometheus-multiproc.sh"

exec celery -A marketplace worker --loglevel=INFO --concurrency "${CELERY_CONCURRENCY:-2}"
