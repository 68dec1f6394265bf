"""A value shared by every caller for a moment: the answer many callers ask for at once (the
feed's first page) computed once per moment instead of once per request.

Kept in the cache (Redis) so every process shares it; while Redis fails, in this process's
memory, so an outage costs each process one computation per moment rather than one per request.
"""

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

T = TypeVar("T")

_local = LocMemCache("microcache", {"OPTIONS": {"MAX_ENTRIES": 1000}})


def key_of(*parts: object) -> str:
    """A cache key for everything a result depends on (a URL's parts), of bounded length."""
    return "microcache:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def microcached(key: str, seconds: int, compute: Callable[[], T]) -> T:
    """`compute()`'s result under `key`, at most `seconds` old; `seconds` 0 computes every
    time."""
    if seconds <= 0:
        return compute()
    try:
        found = cache.get(key)
    except Exception:
        return _local_or_compute(key, seconds, compute)
    if found is None:
        found = compute()
        try:
            cache.set(key, found, seconds)
        except Exception:
            _local.set(key, found, seconds)
    return found


def _local_or_compute(key: str, seconds: int, compute: Callable[[], T]) -> T:
    found = _local.get(key)
    if found is None:
        found = compute()
        _local.set(key, found, seconds)
    return found
