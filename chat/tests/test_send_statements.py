"""What a send costs the database: the repeat looked for, then one statement that numbers,
stores and moves the thread and the sender's read position (PostgreSQL). A business
listing's thread adds one for the business's members, who all take part."""

from typing import Any

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.exceptions import Blocked
from chat.models import Message, ReadState, Side, Thread
from chat.selectors import thread_get_for_participant
from chat.services import message_send, thread_block

pytestmark = pytest.mark.django_db


def send(thread: Thread, user: Any, client_id: str, side: str = Side.BUYER) -> Any:
    return message_send(
        thread=thread, side=Side(side), sender=user, body="Здравствуйте", client_id=client_id
    )


@pytest.fixture
def thread(thread: Thread, buyer: Any) -> Thread:
    """As a send gets it: with its listing (whose seller is the other side)."""
    found, _side = thread_get_for_participant(user=buyer, thread_id=thread.pk)
    return found


def test_a_send_is_two_statements_and_a_repeat_one(thread: Thread, buyer: Any) -> None:
    with CaptureQueriesContext(connection) as first:
        message, created = send(thread, buyer, "c-1")
    with CaptureQueriesContext(connection) as again:
        repeat, repeated = send(thread, buyer, "c-1")

    assert created
    assert not repeated
    assert repeat.pk == message.pk
    assert len(first) == 2
    assert len(again) == 1
    thread.refresh_from_db()
    stored = Message.objects.get(pk=message.pk)
    assert (stored.seq, thread.last_seq) == (1, 1)
    assert thread.last_message_at == stored.created_at
    assert ReadState.objects.get(thread=thread, user=buyer).last_read_seq == 1


def test_a_blocked_send_stores_and_moves_nothing(thread: Thread, buyer: Any, author: Any) -> None:
    thread_block(thread=thread, side=Side.SELLER, user=author)

    with CaptureQueriesContext(connection) as queries, pytest.raises(Blocked):
        send(thread, buyer, "c-2")

    assert len(queries) == 3  # the repeat looked for, the send, then why nothing was stored
    thread.refresh_from_db()
    assert thread.last_seq == 0
    assert not Message.objects.filter(thread=thread).exists()
    assert not ReadState.objects.filter(thread=thread, user=buyer).exists()


def test_the_send_limit_and_who_is_live_are_one_redis_round_trip(
    thread: Thread, buyer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counted where redis-py writes to its socket: each write is one round trip.
    writes: list[Any] = []
    write = redis.connection.Connection.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> None:
        writes.append(command)
        write(self, command, check_health)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counted)

    _message, created = send(thread, buyer, "c-3")

    assert created
    [write_] = writes
    packed = b"".join(write_) if isinstance(write_, list) else bytes(write_)
    # The limit's counter and the seller's presence, read before the message is stored.
    assert b"rl:chat-send:" in packed
    assert b"ZCOUNT" in packed
    assert f"chat:presence:{thread.listing.author_id}".encode() in packed
