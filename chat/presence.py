"""Who has a live socket, to decide who gets a push.

A user is live while one of their sockets connected or pinged within PRESENCE_SECONDS. Each
user has a Redis sorted set of their sockets scored by their last sign of life, expiring with
the newest: a crashed server or a backgrounded app cannot leave a user "online" for longer.
Without Redis (`make run`) one process serves every socket, and a dict in it does the same.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.client import Pipeline

logger = logging.getLogger(__name__)

PRESENCE_SECONDS = 60
# How long a presence write waits for one of the loop's Redis connections.
PRESENCE_WAIT_SECONDS = 5

_local: dict[str, dict[str, float]] = {}
_local_lock = threading.Lock()


# redis.asyncio's connections belong to the event loop that made them: a client per loop (a
# worker has one; a loop that has closed, as async_to_sync's do, drops its client on the next
# call). Its pool waits for a free connection rather than refusing: a thousand sockets
# reconnecting at once must not lose their presence.
ASYNC_CONNECTIONS = 20
_async_clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}


def _async_redis() -> aioredis.Redis:
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        for closed in [other for other in list(_async_clients) if other.is_closed()]:
            _async_clients.pop(closed, None)
        pool = aioredis.BlockingConnectionPool.from_url(
            str(settings.REDIS_URL),
            max_connections=ASYNC_CONNECTIONS,
            timeout=PRESENCE_WAIT_SECONDS,
            socket_connect_timeout=1,
            socket_timeout=1,
        )
        client = _async_clients[loop] = aioredis.Redis(connection_pool=pool)
    return client


def _key(user_id: Any) -> str:
    return f"chat:presence:{user_id}"


async def touch(*, user_id: Any, socket: str) -> None:
    """The socket is alive now. On the socket's own event loop: a burst of pings from
    thousands of sockets waits for no thread (the messages sent meanwhile queued behind
    them when each ping went through one)."""
    if not settings.REDIS_URL:
        _touch_local(user_id, socket)
        return
    try:
        async with _async_redis().pipeline(transaction=True) as pipe:
            _queue_touch(pipe, user_id, socket)
            await pipe.execute()
    except redis.RedisError:
        _touch_failed(user_id)


def _touch_local(user_id: Any, socket: str) -> None:
    with _local_lock:
        _local.setdefault(str(user_id), {})[socket] = time.time()


def _queue_touch(pipe: Any, user_id: Any, socket: str) -> None:
    now, key = time.time(), _key(user_id)
    pipe.zadd(key, {socket: now})
    pipe.zremrangebyscore(key, "-inf", now - PRESENCE_SECONDS)
    pipe.expire(key, PRESENCE_SECONDS)


def _touch_failed(user_id: Any) -> None:
    # The user will get pushes they do not need; a lost message would be worse.
    logger.warning("Presence store unavailable; user %s counts as offline", user_id)


async def leave(*, user_id: Any, socket: str) -> None:
    """The socket has closed."""
    if not settings.REDIS_URL:
        _leave_local(user_id, socket)
        return
    try:
        await _async_redis().zrem(_key(user_id), socket)
    except redis.RedisError:
        _leave_failed()


def _leave_local(user_id: Any, socket: str) -> None:
    with _local_lock:
        _local.get(str(user_id), {}).pop(socket, None)


def _leave_failed() -> None:
    logger.warning("Presence store unavailable; the socket expires on its own")


def queue_live(pipe: Pipeline, user_ids: Iterable[Any]) -> None:
    """Adds to a Redis pipeline the reads `live_among` answers from."""
    since = time.time() - PRESENCE_SECONDS
    for user_id in user_ids:
        pipe.zcount(_key(user_id), since, "+inf")


def live_among(user_ids: Iterable[Any], counts: list[Any] | None) -> set[str]:
    """Those of `user_ids` with a live socket, from the results of `queue_live`'s reads;
    None for them when Redis is not configured (the process's own sockets are then all
    there is) or could not answer (nobody is live: a needless push beats a missed one)."""
    ids = [str(user_id) for user_id in user_ids]
    if not settings.REDIS_URL:
        since = time.time() - PRESENCE_SECONDS
        with _local_lock:
            return {
                user_id
                for user_id in ids
                if any(seen > since for seen in _local.get(user_id, {}).values())
            }
    if counts is None:
        if ids:
            logger.warning("Presence store unavailable; pushing to every recipient")
        return set()
    return {user_id for user_id, count in zip(ids, counts, strict=True) if count}
