"""`make run`: DEBUG on and embedded defaults for everything not configured."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403
