"""Fixed-window counters in Redis: a hit counted and the window's state read in one round
trip, atomic on the server, whatever the limit (a security limit or a comfort throttle)."""

from functools import lru_cache
from typing import Any

import redis
from django.conf import settings

# INCR, start the window on the first hit, and return the count with the window's remaining
# seconds.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def redis_client() -> redis.Redis:
    """The counters' Redis (REDIS_URL's), with short timeouts."""
    return _client(str(settings.REDIS_URL))


def hit_window(key: str, window: int) -> tuple[int, int]:
    """Count one hit on `key` in its window of `window` seconds: (hits in the window so far,
    seconds until it ends). Raises redis.RedisError when Redis cannot be reached."""
    count, ttl = redis_client().eval(_HIT, 1, f"rl:{key}", str(window))
    return int(count), int(ttl)


def queue_hit(pipe: Any, key: str, window: int) -> None:
    """`hit_window` added to a pipeline; its result is the pair `hit_window` returns."""
    pipe.eval(_HIT, 1, f"rl:{key}", str(window))
