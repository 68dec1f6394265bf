"""`make run`: DEBUG on and embedded defaults for everything not configured."""

import os

os.environ.setdefault("DEBUG", "true")

from marketplace.devhosts import EMULATOR_HOSTS, lan_hosts

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS as DEFAULT_HOSTS
from .base import MIDDLEWARE as BASE_MIDDLEWARE

if "ALLOWED_HOSTS" not in os.environ:
    # An emulator and a phone on the LAN name this machine by these (`make run HOST=0.0.0.0`).
    ALLOWED_HOSTS = [*DEFAULT_HOSTS, *EMULATOR_HOSTS, *lan_hosts()]

# No proxy in front to compress: the app does it (before the session, as Django advises).
MIDDLEWARE = list(BASE_MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("marketplace.api.middleware.PageSessionMiddleware"),
    "django.middleware.gzip.GZipMiddleware",
)
