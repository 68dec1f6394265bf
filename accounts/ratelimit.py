"""Security limits (OTP, login): atomic fixed-window counters that fail closed.

Counters live in Redis when it is configured, else in the database (`make run`). Unlike DRF's
throttles these are controls, not comfort: when the store cannot be reached the caller gets
503 `service_unavailable` and nothing is sent.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from redis.client import Pipeline

from core.counters import hit_window, queue_hit, redis_client
from core.errors import RateLimited, ServiceUnavailable

from .locks import rate_counters_for_update

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits on `key` per `window` seconds."""

    key: str
    limit: int
    window: int


def _hit_redis(limit: Limit) -> tuple[int, int]:
    return hit_window(limit.key, limit.window)


def _hit_database(limit: Limit) -> tuple[int, int]:
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                counter, created = rate_counters_for_update().get_or_create(
                    key=limit.key,
                    defaults={"count": 1, "window_ends_at": now + timedelta(seconds=limit.window)},
                )
                if not created:
                    if counter.window_ends_at <= now:
                        counter.count = 0
                        counter.window_ends_at = now + timedelta(seconds=limit.window)
                    counter.count += 1
                    counter.save(update_fields=("count", "window_ends_at"))
                remaining = (counter.window_ends_at - now).total_seconds()
                return counter.count, max(1, int(remaining))
        except IntegrityError:
            continue  # another request created the row first; lock it on the next pass
    raise ServiceUnavailable


def hit_alongside(limit: Limit, queue: Callable[[Pipeline], None]) -> list[Any] | None:
    """`hit(limit, fail_open=True)` in the same Redis round trip as the commands `queue` adds
    to a pipeline (another module's reads, e.g. chat presence); their results, in order.

    None when Redis is not configured (the limit is then counted in the database) or cannot
    be reached (the limit is not counted): the caller reads its own way instead."""
    if not settings.REDIS_URL:
        hit(limit, fail_open=True)
        return None
    pipe = redis_client().pipeline(transaction=False)
    queue_hit(pipe, limit.key, limit.window)
    queue(pipe)
    try:
        [(count, ttl), *results] = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("Limit store unavailable (%s); allowing", type(exc).__name__)
        return None
    if int(count) > limit.limit:
        raise RateLimited(retry_after=int(ttl))
    return results


def hit(*limits: Limit, fail_open: bool = False) -> None:
    """Count one hit on each limit in order; raise RateLimited at the first one that is over.

    When the store cannot be reached the caller gets ServiceUnavailable, unless `fail_open`:
    for a limit against nuisance rather than cost or harm (chat spam), whose feature must keep
    working through a Redis outage; it is then not counted.

    Later limits are not counted for a refused request, so refused calls do not use up a
    later budget: a client tapping "resend" does not burn their hourly codes, one abuser
    refused by their own limits cannot exhaust the global SMS ceiling for everyone, and a
    request refused by its IP's limit spends nothing of the phone's it names. Put the limits
    of the caller first, then those of what they ask about, the widest last.
    """
    for limit in limits:
        try:
            count, ttl = _hit_redis(limit) if settings.REDIS_URL else _hit_database(limit)
        except (redis.RedisError, DatabaseError) as exc:
            if fail_open:
                logger.warning("Limit store unavailable (%s); allowing", type(exc).__name__)
                return
            logger.error("Security limit store unavailable (%s); refusing", type(exc).__name__)
            raise ServiceUnavailable from exc
        if count > limit.limit:
            raise RateLimited(retry_after=ttl)
