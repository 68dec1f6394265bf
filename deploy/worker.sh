#!/bin/sh
# Celery worker entry point. Tasks run in prefork child processes, which record their metrics in
# PROMETHEUS_MULTIPROC_DIR; the main process serves them on CELERY_METRICS_PORT
# (marketplace/celery_metrics.py) for Prometheus.
#
# CELERY_QUEUES: the queues this worker consumes (default all: critical,default,media); in
# Docker each queue has a worker service of its own (docker-compose.yml).
# CELERY_CONCURRENCY: child processes of this worker (default 2); scale further with more
# worker containers (`docker-compose up --scale worker-default=N`).
set -eu

. "$(dirname "$0")/prometheus-multiproc.sh"

exec celery -A marketplace worker --loglevel=INFO --queues "${CELERY_QUEUES:-critical,default,media}" \
    --concurrency "${CELERY_CONCURRENCY:-2}"
