"""The chat socket over the real ASGI application and the Redis channel layer."""

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone
from prometheus_client import REGISTRY

from accounts import push
from accounts.models import User
from accounts.services import user_ban
from accounts.tokens import SessionRefreshToken
from business.models import Membership
from chat import events
from chat.models import Message
from marketplace.asgi import application

from .conftest import (
    THREADS,
    access_token,
    client_for,
    closed_with,
    connect,
    live_user_ids,
    messages_url,
    open_thread,
    register_device,
    send,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

db = database_sync_to_async


def frame(thread: Any, body: str, client_id: str) -> dict[str, Any]:
    return {
        "type": "message.send",
        "thread_id": str(thread.pk),
        "body": body,
        "client_id": client_id,
    }


async def next_event(communicator: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    event = await communicator.receive_json_from(timeout=2)
    assert event["type"] == kind, event
    return event


# --- Authentication ---------------------------------------------------------------------------


async def test_a_token_in_the_subprotocol_is_accepted_selecting_bearer(buyer: Any) -> None:
    token = await db(access_token)(buyer)
    communicator = WebsocketCommunicator(application, "/ws/chat/", subprotocols=["bearer", token])

    connected, subprotocol = await communicator.connect()
    await communicator.send_json_to({"type": "ping"})

    assert connected
    assert subprotocol == "bearer"
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
async def test_a_missing_or_invalid_token_is_accepted_then_closed_with_4401(token: str) -> None:
    communicator = await connect(token=token)

    assert await closed_with(communicator) == 4401


async def test_no_token_at_all_is_closed_with_4401() -> None:
    communicator = WebsocketCommunicator(application, "/ws/chat/")
    connected, _ = await communicator.connect()

    assert connected
    assert await closed_with(communicator) == 4401


async def test_an_expired_token_is_closed_with_4401(buyer: Any) -> None:
    def expired() -> str:
        access = SessionRefreshToken.for_user(buyer).access_token
        access.set_exp(from_time=timezone.now() - timedelta(hours=1))
        return str(access)

    communicator = await connect(token=await db(expired)())

    assert await closed_with(communicator) == 4401


async def test_a_banned_users_token_is_closed_with_4401(buyer: Any) -> None:
    token = await db(access_token)(buyer)
    await db(user_ban)(user=buyer, actor=None)

    communicator = await connect(token=token)

    assert await closed_with(communicator) == 4401


async def test_an_open_socket_closes_with_4401_when_its_token_expires(buyer: Any) -> None:
    def short_lived() -> str:
        access = SessionRefreshToken.for_user(buyer).access_token
        # Long enough to connect and ping on a loaded machine, short enough for a test.
        access.set_exp(lifetime=timedelta(seconds=3))
        return str(access)

    communicator = await connect(token=await db(short_lived)())
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}

    assert await closed_with(communicator, timeout=5) == 4401


async def test_an_open_socket_closes_with_4401_when_the_user_is_banned(buyer: Any) -> None:
    communicator = await connect(buyer)

    await db(user_ban)(user=buyer, actor=None)

    assert await closed_with(communicator) == 4401


async def test_a_revocation_spares_sockets_opened_with_newer_tokens(buyer: Any) -> None:
    """Logging out everywhere closes the old sessions; the app's new login stays."""
    from accounts.services.users import user_revoke_all_tokens

    old = await connect(buyer)
    await db(user_revoke_all_tokens)(user=buyer)
    assert await closed_with(old) == 4401

    new = await connect(buyer)
    version = await db(lambda: User.objects.get(pk=buyer.pk).token_version)()
    # A late copy of the same revocation reaches the socket of the new login.
    await get_channel_layer().group_send(
        events.user_group(buyer.pk), events.sessions_revoked(version)
    )
    await new.send_json_to({"type": "ping"})
    assert await new.receive_json_from() == {"type": "pong"}
    await new.disconnect()


async def test_a_reused_refresh_token_closes_the_sockets_of_its_login_only(buyer: Any) -> None:
    from rest_framework_simplejwt.exceptions import InvalidToken

    from accounts.services.auth import auth_refresh
    from accounts.tokens import issue_tokens

    stolen, other = await db(issue_tokens)(buyer), await db(issue_tokens)(buyer)
    victim = await connect(token=stolen["access"])
    bystander = await connect(token=other["access"])
    await db(auth_refresh)(refresh=stolen["refresh"])

    with pytest.raises(InvalidToken):
        await db(auth_refresh)(refresh=stolen["refresh"])

    assert await closed_with(victim) == 4401
    await bystander.send_json_to({"type": "ping"})
    assert await bystander.receive_json_from() == {"type": "pong"}
    await bystander.disconnect()


async def test_a_socket_whose_login_ended_cannot_send_even_if_the_event_was_lost(
    buyer: Any, thread: Any
) -> None:
    from accounts.models import LoginSession

    communicator = await connect(buyer)
    # Ended behind the socket's back: no event reaches it.
    await db(lambda: LoginSession.objects.update(revoked_at=timezone.now()))()

    await communicator.send_json_to(frame(thread, "hello", "c-1"))

    assert await closed_with(communicator) == 4401
    assert not await db(Message.objects.exists)()


async def test_the_access_token_is_never_logged(buyer: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    token = await db(access_token)(buyer)
    communicator = await connect(token=token)
    await communicator.send_to(text_data="{broken")
    await communicator.receive_json_from()
    await communicator.disconnect()
    bad = await connect(token=f"{token}x")
    await closed_with(bad)

    assert token not in caplog.text


# --- Frames -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        '"ping"',
        '{"type": "shout"}',
        '{"no": "type"}',
        '{"type": ["ping"]}',
    ],
)
async def test_a_malformed_frame_gets_an_error_and_the_socket_stays_open(
    buyer: Any, text: str
) -> None:
    communicator = await connect(buyer)

    await communicator.send_to(text_data=text)
    error = await next_event(communicator, "error")
    await communicator.send_json_to({"type": "ping"})

    assert error["code"] == "invalid"
    assert error["message"]
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


async def test_a_binary_frame_gets_an_error(buyer: Any) -> None:
    communicator = await connect(buyer)

    await communicator.send_to(bytes_data=b"\x00\x01")

    assert (await next_event(communicator, "error"))["code"] == "invalid"
    await communicator.disconnect()


async def test_a_send_with_bad_fields_names_them_and_echoes_the_ids(
    buyer: Any, thread: Any
) -> None:
    communicator = await connect(buyer)

    await communicator.send_json_to(frame(thread, "   ", "c-1") | {"client_id": "c-9"})
    error = await next_event(communicator, "error")
    await communicator.send_json_to({"type": "message.send", "thread_id": ["x"], "body": []})
    second = await next_event(communicator, "error")

    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"body"}
    assert error["client_id"] == "c-9"
    assert error["thread_id"] == str(thread.pk)
    assert second["code"] == "invalid"
    assert set(second["fields"]) == {"thread_id", "body", "client_id"}
    assert "client_id" not in second
    assert "thread_id" not in second
    await communicator.disconnect()


async def test_frames_and_deliveries_take_no_trip_to_the_sync_thread(
    buyer: Any, thread: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Channels' own dispatch hops to asgiref's one sync thread to close database connections
    # before each event: with thousands of sockets pinging, every event queued there.
    import channels.consumer

    hops: list[None] = []

    async def counted() -> None:
        hops.append(None)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    communicator = await connect(buyer)

    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.send_json_to(
        {"type": "message.send", "thread_id": str(thread.pk), "body": "Hi", "client_id": "c-9"}
    )
    assert (await communicator.receive_json_from())["type"] == "message.new"

    assert hops == []
    await communicator.disconnect()


async def test_ping_is_answered_with_pong_and_keeps_the_user_live(buyer: Any) -> None:
    communicator = await connect(buyer)
    assert await db(live_user_ids)([buyer.pk]) == {str(buyer.pk)}
    # As if the socket had been silent for a minute: its presence expired.
    redis.Redis.from_url(settings.REDIS_URL).delete(f"chat:presence:{buyer.pk}")
    assert await db(live_user_ids)([buyer.pk]) == set()

    await communicator.send_json_to({"type": "ping"})

    assert await communicator.receive_json_from() == {"type": "pong"}
    assert await db(live_user_ids)([buyer.pk]) == {str(buyer.pk)}
    await communicator.disconnect()
    assert await db(live_user_ids)([buyer.pk]) == set()


# --- Messages ---------------------------------------------------------------------------------


async def test_two_users_exchange_messages_and_both_receive_each_numbered_in_turn(
    buyer: Any, author: Any, thread: Any
) -> None:
    buyer_socket = await connect(buyer)
    seller_socket = await connect(author)

    for index in range(3):
        await buyer_socket.send_json_to(frame(thread, f"buyer {index}", f"b-{index}"))
        await seller_socket.send_json_to(frame(thread, f"seller {index}", f"s-{index}"))
        for socket in (buyer_socket, seller_socket):
            # Sent at once by two consumers, each broadcast after its own commit: the two
            # events may arrive in either order (the contract: the app orders by `seq`).
            pair = sorted(
                [(await next_event(socket, "message.new"))["message"] for _ in range(2)],
                key=lambda message: message["seq"],
            )
            assert [message["seq"] for message in pair] == [2 * index + 1, 2 * index + 2]
            assert {message["body"] for message in pair} == {f"buyer {index}", f"seller {index}"}

    stored = await db(lambda: list(Message.objects.filter(thread=thread).order_by("seq")))()
    assert [(m.seq, m.body) for m in stored][:2] in (
        [(1, "buyer 0"), (2, "seller 0")],
        [(1, "seller 0"), (2, "buyer 0")],
    )
    assert [m.seq for m in stored] == [1, 2, 3, 4, 5, 6]
    await buyer_socket.disconnect()
    await seller_socket.disconnect()


async def test_a_message_event_carries_the_stored_message(
    buyer: Any, author: Any, thread: Any
) -> None:
    seller_socket = await connect(author)
    buyer_socket = await connect(buyer)

    await buyer_socket.send_json_to(frame(thread, "  Ещё продаётся?  ", "c-1"))
    event = (await next_event(seller_socket, "message.new"))["message"]

    stored = await db(Message.objects.get)(thread=thread, seq=1)
    assert event == {
        "id": str(stored.pk),
        "thread_id": str(thread.pk),
        "seq": 1,
        "sender_id": str(buyer.pk),
        "body": "Ещё продаётся?",
        "created_at": event["created_at"],
        "client_id": "c-1",
    }
    assert (await next_event(buyer_socket, "message.new"))["message"] == event
    await buyer_socket.disconnect()
    await seller_socket.disconnect()


async def test_a_repeated_client_id_returns_the_first_message_to_the_sender_alone(
    buyer: Any, author: Any, thread: Any
) -> None:
    buyer_socket = await connect(buyer)
    seller_socket = await connect(author)
    await buyer_socket.send_json_to(frame(thread, "first", "same"))
    first = await next_event(buyer_socket, "message.new")
    await next_event(seller_socket, "message.new")

    await buyer_socket.send_json_to(frame(thread, "again", "same"))

    assert await next_event(buyer_socket, "message.new") == first
    assert await seller_socket.receive_nothing(timeout=0.3)
    assert await db(Message.objects.filter(thread=thread).count)() == 1
    await buyer_socket.disconnect()
    await seller_socket.disconnect()


async def test_a_rest_send_reaches_the_sockets(buyer: Any, author: Any, thread: Any) -> None:
    seller_socket = await connect(author)

    response = await db(send)(buyer, thread, "Через REST", "r-1")

    assert response.status_code == 201
    event = await next_event(seller_socket, "message.new")
    assert event["message"] == response.json()
    await seller_socket.disconnect()


async def test_a_third_user_never_receives_the_threads_events(
    buyer: Any, author: Any, stranger: Any, thread: Any
) -> None:
    stranger_socket = await connect(stranger)
    buyer_socket = await connect(buyer)

    await buyer_socket.send_json_to(frame(thread, "private", "c-1"))
    await next_event(buyer_socket, "message.new")
    await db(lambda: client_for(author).post(f"{THREADS}{thread.pk}/read/", {"up_to_seq": 1}))()
    await next_event(buyer_socket, "message.read")
    await stranger_socket.send_json_to(frame(thread, "let me in", "x-1"))

    error = await next_event(stranger_socket, "error")
    assert error["code"] == "not_found"
    assert error["thread_id"] == str(thread.pk)
    assert await stranger_socket.receive_nothing(timeout=0.3)
    assert await db(Message.objects.filter(sender=stranger).exists)() is False
    await stranger_socket.disconnect()
    await buyer_socket.disconnect()


async def test_a_new_thread_is_announced_to_the_seller_side(
    buyer: Any, dealer_admin: Any, dealer_seller: Any, dealer: Any, stranger: Any
) -> None:
    from .conftest import active_listing

    listing = await db(active_listing)(dealer_seller, business_id=str(dealer.pk))
    admin_socket = await connect(dealer_admin)
    stranger_socket = await connect(stranger)

    thread = await db(open_thread)(buyer, listing)

    event = await next_event(admin_socket, "thread.new")
    assert event["thread"]["id"] == str(thread.pk)
    assert event["thread"]["listing_id"] == str(listing.pk)
    assert await stranger_socket.receive_nothing(timeout=0.3)
    await admin_socket.disconnect()
    await stranger_socket.disconnect()


async def test_a_business_colleague_receives_and_answers(
    buyer: Any, dealer_admin: Any, dealer_seller: Any, dealer: Any
) -> None:
    from .conftest import active_listing

    listing = await db(active_listing)(dealer_seller, business_id=str(dealer.pk))
    thread = await db(open_thread)(buyer, listing)
    admin_socket = await connect(dealer_admin)
    buyer_socket = await connect(buyer)

    await buyer_socket.send_json_to(frame(thread, "Есть в наличии?", "b-1"))
    assert (await next_event(admin_socket, "message.new"))["message"]["body"] == "Есть в наличии?"
    await admin_socket.send_json_to(frame(thread, "Да, приезжайте", "a-1"))

    await next_event(buyer_socket, "message.new")
    reply = await next_event(buyer_socket, "message.new")
    assert reply["message"]["sender_id"] == str(dealer_admin.pk)
    assert reply["message"]["seq"] == 2
    await admin_socket.disconnect()
    await buyer_socket.disconnect()


async def test_a_member_who_left_the_business_stops_receiving(
    buyer: Any, dealer_admin: Any, dealer_seller: Any, dealer: Any
) -> None:
    from .conftest import active_listing

    listing = await db(active_listing)(dealer_seller, business_id=str(dealer.pk))
    thread = await db(open_thread)(buyer, listing)
    await db(Membership.objects.filter(user=dealer_admin).delete)()
    former = await connect(dealer_admin)

    await db(send)(buyer, thread, "Hello", "b-1")

    assert await former.receive_nothing(timeout=0.3)
    await former.send_json_to(frame(thread, "still here?", "a-1"))
    assert (await next_event(former, "error"))["code"] == "not_found"
    await former.disconnect()


async def test_a_blocked_user_cannot_send_over_the_socket(
    buyer: Any, author: Any, thread: Any
) -> None:
    await db(lambda: client_for(author).post(f"{THREADS}{thread.pk}/block/"))()
    buyer_socket = await connect(buyer)

    await buyer_socket.send_json_to(frame(thread, "Why?", "b-1"))

    error = await next_event(buyer_socket, "error")
    assert error["code"] == "blocked"
    assert error["client_id"] == "b-1"
    assert await db(Message.objects.filter(thread=thread).exists)() is False
    await buyer_socket.disconnect()


async def test_a_client_may_send_20_messages_in_10_seconds(buyer: Any, thread: Any) -> None:
    buyer_socket = await connect(buyer)

    for index in range(20):
        await buyer_socket.send_json_to(frame(thread, f"#{index}", f"c-{index}"))
        await next_event(buyer_socket, "message.new")
    await buyer_socket.send_json_to(frame(thread, "one too many", "c-20"))

    error = await next_event(buyer_socket, "error")
    assert error["code"] == "throttled"
    assert error["client_id"] == "c-20"
    assert await db(Message.objects.filter(thread=thread).count)() == 20
    await buyer_socket.disconnect()


async def test_a_read_receipt_reaches_the_other_party(buyer: Any, author: Any, thread: Any) -> None:
    await db(send)(buyer, thread, "one", "b-1")
    await db(send)(buyer, thread, "two", "b-2")
    buyer_socket = await connect(buyer)

    response = await db(
        lambda: client_for(author).post(f"{THREADS}{thread.pk}/read/", {"up_to_seq": 2})
    )()

    assert response.status_code == 204
    assert await next_event(buyer_socket, "message.read") == {
        "type": "message.read",
        "thread_id": str(thread.pk),
        "reader_id": str(author.pk),
        "up_to_seq": 2,
    }
    await buyer_socket.disconnect()


# --- Catch-up and push ------------------------------------------------------------------------


async def test_catch_up_after_a_disconnect_returns_exactly_the_missed_messages(
    buyer: Any, author: Any, thread: Any
) -> None:
    buyer_socket = await connect(buyer)
    seller_socket = await connect(author)
    await seller_socket.send_json_to(frame(thread, "seen", "s-0"))
    seen = (await next_event(buyer_socket, "message.new"))["message"]["seq"]
    await next_event(seller_socket, "message.new")
    await buyer_socket.disconnect()

    for index in range(1, 6):
        await seller_socket.send_json_to(frame(thread, f"missed {index}", f"s-{index}"))
        await next_event(seller_socket, "message.new")

    def catch_up() -> list[dict[str, Any]]:
        url = f"{messages_url(thread)}?after={seen}&page_size=2"
        results: list[dict[str, Any]] = []
        while url:
            page = client_for(buyer).get(url).json()
            results.extend(page["results"])
            url = page["next"]
        return results

    missed = await db(catch_up)()
    assert [message["body"] for message in missed] == [f"missed {i}" for i in range(1, 6)]
    assert [message["seq"] for message in missed] == [2, 3, 4, 5, 6]
    await seller_socket.disconnect()


async def test_push_goes_only_to_participants_without_a_live_socket(
    buyer: Any, author: Any, thread: Any
) -> None:
    await db(register_device)(author, "ExponentPushToken[seller]")
    await db(register_device)(buyer, "ExponentPushToken[buyer]")
    buyer_socket = await connect(buyer)

    await buyer_socket.send_json_to(frame(thread, "Can I see it today?", "b-1"))
    await next_event(buyer_socket, "message.new")
    seller_socket = await connect(author)
    await seller_socket.send_json_to(frame(thread, "Yes, after six", "s-1"))
    await next_event(seller_socket, "message.new")

    assert [message.token for message in push.outbox] == ["ExponentPushToken[seller]"]
    assert "Азамат" in push.outbox[0].title
    assert "Can I see it today?" in push.outbox[0].body
    assert push.outbox[0].data["thread_id"] == str(thread.pk)
    await buyer_socket.disconnect()
    await seller_socket.disconnect()


async def test_the_open_sockets_gauge_follows_connections(buyer: Any) -> None:
    def gauge() -> float:
        return REGISTRY.get_sample_value("marketplace_chat_connections_open") or 0.0

    before = gauge()
    first = await connect(buyer)
    second = await connect(buyer)
    unauthenticated = await connect(token="nope")
    await closed_with(unauthenticated)
    assert gauge() == before + 2

    await first.disconnect()
    await second.disconnect()
    await asyncio.sleep(0)
    assert gauge() == before


# --- Outages (the end-to-end runs are in tests/test_faults.py) ---------------------------------

DEAD_LAYER = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens on port 1
    }
}


async def test_without_the_channel_layer_a_socket_is_closed_with_1013(
    buyer: Any, settings: Any
) -> None:
    settings.CHANNEL_LAYERS = DEAD_LAYER
    before = REGISTRY.get_sample_value("marketplace_chat_connections_open") or 0.0

    communicator = await connect(buyer)

    assert await closed_with(communicator) == 1013
    assert (REGISTRY.get_sample_value("marketplace_chat_connections_open") or 0.0) == before


async def test_a_refused_token_never_reaches_the_channel_layer(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CHANNEL_LAYERS = DEAD_LAYER

    communicator = await connect(token="not-a-jwt")

    assert await closed_with(communicator) == 4401
    # The dead layer was never read: a flood of bad tokens costs Redis nothing.
    assert "1013" not in caplog.text


async def test_a_send_while_the_database_is_unavailable_asks_to_retry(
    buyer: Any, thread: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from chat import consumers

    def database_down(**kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(consumers, "message_send", database_down)
    communicator = await connect(buyer)

    await communicator.send_json_to(frame(thread, "Здравствуйте!", "c-retry"))
    error = await next_event(communicator, "error")

    assert error["code"] == "service_unavailable"
    assert error["client_id"] == "c-retry"
    assert await db(Message.objects.filter(thread=thread).count)() == 0
    await communicator.disconnect()
