#!/bin/sh
# WebSocket entry point (/ws/): uvicorn (ASGI). HTTP is served by deploy/web.sh; this service
# answers HTTP too (the same ASGI application), which its healthcheck and /metrics use.
#
# WS_CONCURRENCY: number of uvicorn worker processes (default 2).
# Access logging is off here: the application writes its own (redacted) access log.
# Proxy headers are off: the application reads X-Forwarded-For itself, through TRUSTED_PROXIES.
set -eu

. "$(dirname "$0")/prometheus-multiproc.sh"

exec uvicorn marketplace.asgi:application \
    --host 0.0.0.0 \
    --port "${PORT:-8001}" \
    --workers "${WS_CONCURRENCY:-2}" \
    --no-access-log \
    --no-proxy-headers \
    --lifespan off
