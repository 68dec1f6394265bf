"""Redis really is the channel layer and the broker in tests, and work is sent after commit."""

import asyncio
import json
import uuid
from typing import Any

import pytest
import redis
from asgiref.sync import async_to_sync
from celery import Celery
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.db import transaction

from core import channel_layer as core_channel_layer
from core import tasks as core_tasks
from core.tasks import enqueue_on_commit
from marketplace.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


@app.task(name="tests.record_call")
def record_call(marker: str) -> None:
    redis.Redis.from_url(settings.REDIS_URL).rpush("tests:calls", marker)


QUEUES = ("critical", "default", "media")


def test_a_send_to_several_groups_reaches_each_channel_once_in_two_round_trips(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layer = get_channel_layer()
    assert isinstance(layer, core_channel_layer.RedisChannelLayer)
    # Counted where redis-py writes to its socket: each write is one round trip.
    writes: list[Any] = []
    write = redis.asyncio.connection.AbstractConnection.send_packed_command

    async def counted(self: Any, command: Any, check_health: bool = True) -> None:
        writes.append(command)
        await write(self, command, check_health)

    async def scenario() -> list[Any]:
        # Channels of this process: they share one queue in Redis, as a worker's sockets do.
        first, both, last = [await layer.new_channel() for _ in range(3)]
        for group, channel in (("many-1", first), ("many-1", both), ("many-2", both)):
            await layer.group_add(group, channel)
        await layer.group_add("many-2", last)
        monkeypatch.setattr(
            redis.asyncio.connection.AbstractConnection, "send_packed_command", counted
        )
        await layer.group_send_many(["many-1", "many-2", "many-empty"], {"type": "hello"})
        monkeypatch.undo()
        received = [await layer.receive(channel) for channel in (first, both, last)]
        # `both` is in two of the groups and gets it once.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(both), 0.5)
        return received

    received = async_to_sync(scenario)()

    assert received == [{"type": "hello"}] * 3
    assert len(writes) == 2


@pytest.fixture
def redis_client() -> Any:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("tests:calls", *QUEUES)
    yield client
    client.delete("tests:calls", *QUEUES)
    client.close()


def test_the_channel_layer_is_redis_and_delivers() -> None:
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)

    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("tests-group", channel)
    async_to_sync(layer.group_send)("tests-group", {"type": "hello", "n": 1})
    message = async_to_sync(layer.receive)(channel)

    assert message == {"type": "hello", "n": 1}


@pytest.fixture
def real_broker() -> Any:
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.mark.usefixtures("real_broker")
def test_enqueue_on_commit_publishes_to_the_redis_broker(redis_client: Any) -> None:
    marker = uuid.uuid4().hex

    with transaction.atomic():
        enqueue_on_commit("tests.record_call", marker=marker)
        assert redis_client.llen("default") == 0  # nothing leaves before the commit

    queued = [json.loads(raw) for raw in redis_client.lrange("default", 0, -1)]
    assert [message["headers"]["task"] for message in queued] == ["tests.record_call"]
    assert marker in json.dumps(queued[0])


@pytest.mark.usefixtures("real_broker")
def test_login_codes_and_video_encodes_wait_in_queues_of_their_own(redis_client: Any) -> None:
    # Each queue is a list in Redis, consumed by its own workers (docker-compose.yml).
    with transaction.atomic():
        enqueue_on_commit("listings.process_video", media_id=str(uuid.uuid4()))
        enqueue_on_commit("accounts.send_sms", phone="+996700000001", text="1234")
        enqueue_on_commit("tests.record_call", marker="sweep")

    def tasks_in(queue: str) -> list[str]:
        return [json.loads(raw)["headers"]["task"] for raw in redis_client.lrange(queue, 0, -1)]

    assert tasks_in("critical") == ["accounts.send_sms"]
    assert tasks_in("media") == ["listings.process_video"]
    assert tasks_in("default") == ["tests.record_call"]


def test_a_rolled_back_transaction_enqueues_nothing(redis_client: Any) -> None:
    def enqueue_then_fail() -> None:
        with transaction.atomic():
            enqueue_on_commit("tests.record_call", marker="never")
            raise RuntimeError("rollback")

    with pytest.raises(RuntimeError):
        enqueue_then_fail()

    assert redis_client.lrange("tests:calls", 0, -1) == []


def test_eager_mode_runs_the_task_after_commit(redis_client: Any) -> None:
    with transaction.atomic():
        enqueue_on_commit("tests.record_call", marker="ran")
        assert redis_client.lrange("tests:calls", 0, -1) == []

    assert redis_client.lrange("tests:calls", 0, -1) == [b"ran"]


def test_an_enqueue_of_an_unknown_task_is_logged_not_raised(caplog: Any) -> None:
    enqueue_on_commit("tests.no_such_task", marker="x")

    assert "No task named tests.no_such_task is registered" in caplog.text


def test_an_enqueue_with_the_broker_down_is_logged_not_raised(
    caplog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A separate app whose broker is a closed port: the project's own connection pools stay
    # untouched for the tests that follow.
    dead = Celery("dead-broker", broker="redis://127.0.0.1:1/0", set_as_current=False)
    dead.conf.broker_connection_timeout = 0.5
    dead.conf.task_publish_retry_policy = {"max_retries": 0}

    # A name of its own: Celery warns when two apps register one name.
    @dead.task(name="tests.record_call_lost")
    def never(marker: str) -> None:
        raise AssertionError("must not run")

    monkeypatch.setattr(core_tasks, "current_app", dead)
    enqueue_on_commit("tests.record_call_lost", marker="lost")

    assert "Could not enqueue tests.record_call_lost; its sweep will retry" in caplog.text
