"""The WSGI application production serves HTTP with (gunicorn), behind the body limit."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")
django_http = get_wsgi_application()

from core.body_limit import WSGIBodyLimitMiddleware  # noqa: E402

application = WSGIBodyLimitMiddleware(django_http)
