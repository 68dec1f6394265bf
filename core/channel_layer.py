"""The Redis channel layer, with one more way to send: to several groups at once.

A chat message goes to the groups of everyone in its thread. Channels-redis sends to a group
in four round trips to Redis (expire the group's old members, read them, expire each queue's
old messages, then push); to two groups, eight. `group_send_many` does the same work in two
round trips for all the groups together, and writes one message per worker queue, however
many of the groups' sockets that worker serves (channels-redis then hands it to each of them,
as it does for one group's).
"""

import logging
import time
from typing import Any

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer

logger = logging.getLogger(__name__)

# Drops the groups' members that have not renewed their membership in time, and returns the
# rest, group by group.
_MEMBERS = """
local members = {}
for i = 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, ARGV[1])
    members[i] = redis.call('ZRANGE', KEYS[i], 0, -1)
end
return members
"""

# Per queue: drops its expired messages, then adds the message unless the queue is full (as
# channels-redis's group send does); returns how many queues were full.
_PUSH = """
local count = #KEYS
local now, expiry = tonumber(ARGV[2 * count + 1]), tonumber(ARGV[2 * count + 2])
local over_capacity = 0
for i = 1, count do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, now - expiry)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[count + i]) then
        redis.call('ZADD', KEYS[i], now, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


class RedisChannelLayer(BaseRedisChannelLayer):
    async def group_send_many(self, groups: list[str], message: dict[str, Any]) -> None:
        """`group_send(group, message)` for each of `groups`, in two round trips; a channel
        in several of them gets the message once."""
        if len(self.hosts) != 1:  # the groups' keys may live on different hosts
            for group in groups:
                await self.group_send(group, message)
            return
        for group in groups:
            self.require_valid_group_name(group)  # raises TypeError for an invalid one
        connection = self.connection(0)
        keys = [self._group_key(group) for group in groups]
        members = await connection.eval(
            _MEMBERS, len(keys), *keys, int(time.time()) - self.group_expiry
        )
        channels = list(dict.fromkeys(name.decode() for names in members for name in names))
        if not channels:
            return
        by_connection, messages, capacities = self._map_channel_keys_to_connection(
            channels, message
        )
        queues = by_connection[0]
        full = await connection.eval(
            _PUSH,
            len(queues),
            *queues,
            *(messages[queue] for queue in queues),
            *(capacities[queue] for queue in queues),
            time.time(),
            self.expiry,
        )
        if full:
            logger.info("%s of %s channel queues over capacity", full, len(queues))
