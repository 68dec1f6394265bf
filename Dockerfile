# Production image for 360 Marketplace.
#
#   docker build -t marketplace:latest .
#
# The default command serves HTTP through gunicorn (deploy/web.sh); the same image serves the
# WebSockets through uvicorn (deploy/ws.sh, PORT=8001) and runs migrations, the Celery worker and
# Celery beat with a different command (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=marketplace.settings.production \
    PORT=8000

# ffmpeg: media processing; gettext: message catalogue tooling.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so code changes do not invalidate the pip layer.
COPY requirements.txt .
RUN pip install --no-cache-dir --require-hashes -r requirements.txt

COPY . .

# Static files are collected at build time. The variables below exist only for this RUN step
# (they are not ENV, so they never reach the running container); real values are supplied at
# run time. Production settings insist on a SECRET_KEY and a JWT_SIGNING_KEY of 32+ characters
# that differ, hence the long, distinct dummies.
# The code stays owned by root and read-only for the app user; only MEDIA_ROOT is writable
# (a named volume mounted there inherits this ownership).
RUN SECRET_KEY=build-only-secret-key-not-used-at-runtime \
    JWT_SIGNING_KEY=build-only-jwt-signing-key-not-used-at-runtime \
    METRICS_TOKEN=build-only-metrics-token \
    DEBUG=false \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && chmod 0755 deploy/web.sh deploy/ws.sh deploy/worker.sh \
    && mkdir -p /app/media \
    && chown app:app /app/media

USER app

EXPOSE 8000 8001

CMD ["deploy/web.sh"]
