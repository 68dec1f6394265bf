#!/bin/sh
# HTTP entry point: gunicorn sync workers (WSGI). WebSockets are served by deploy/ws.sh.
#
# Sync workers spend less server CPU per request than uvicorn on our (sync) views
# (docs/performance.md), the reason HTTP and WebSockets run as two services.
# WEB_CONCURRENCY: number of gunicorn worker processes (default 2), each one request at a time.
# --timeout: a worker silent this long is killed; a video upload may take a while to read.
# --max-requests: a worker is replaced after this many requests (bounding any leak); high enough
# that the metric files each replaced worker leaves in PROMETHEUS_MULTIPROC_DIR stay few.
# --worker-tmp-dir: the workers' heartbeat file lives in memory, not on the container's overlay
# filesystem, where updating it can stall.
# --no-control-socket: nothing here uses gunicornc, and the app user cannot write its default
# place ($HOME/.gunicorn).
# No access log (gunicorn's default): the application writes its own (redacted) access log.
# --forwarded-allow-ips stays at its default: the application reads X-Forwarded-For itself
# (TRUSTED_PROXIES), and X-Forwarded-Proto through SECURE_PROXY_SSL_HEADER.
set -eu

. "$(dirname "$0")/prometheus-multiproc.sh"

exec gunicorn marketplace.wsgi:application \
    --config "$(dirname "$0")/gunicorn.conf.py" \
    --bind "0.0.0.0:${PORT:-8000}" \
    --workers "${WEB_CONCURRENCY:-2}" \
    --timeout 120 \
    --max-requests 10000 \
    --max-requests-jitter 1000 \
    --worker-tmp-dir /dev/shm \
    --no-control-socket
