#!/bin/sh
# Web entry point: HTTP + WebSockets through uvicorn (ASGI).
#
# PROMETHEUS_MULTIPROC_DIR: with several uvicorn workers, prometheus_client keeps per-process
# metric files in this directory; it must be empty at start-up or stale values from the previous
# run are merged into the new ones.
# WEB_CONCURRENCY: number of uvicorn worker processes (default 2).
# Access logging is off here: the application writes its own (redacted) access log.
# Proxy headers are off: the application reads X-Forwarded-For itself, through TRUSTED_PROXIES.
set -eu

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    # Empty the directory rather than removing it, so this also works on a mount point.
    find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
fi

exec uvicorn marketplace.asgi:application \
    --host 0.0.0.0 \
    --port "${PORT:-8000}" \
    --workers "${WEB_CONCURRENCY:-2}" \
    --no-access-log \
    --no-proxy-headers \
    --lifespan off
