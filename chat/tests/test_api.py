"""The chat's REST endpoints: threads, messages, read positions, blocks, and who may see them."""

import asyncio
import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from accounts.models import AuditEntry
from accounts.services.profile import account_delete
from accounts.tests.factories import UserFactory
from chat import presence
from chat.models import Message, Thread
from listings.models import Listing
from tests.helpers import assert_error

from .conftest import (
    THREADS,
    active_listing,
    client_for,
    create,
    live_user_ids,
    messages_url,
    open_thread,
    register_device,
    send,
)

pytestmark = pytest.mark.django_db


def open_(user: Any, listing: Any) -> Any:
    return client_for(user).post(THREADS, {"listing_id": str(listing.pk)}, format="json")


def threads_of(user: Any, **params: Any) -> list[dict[str, Any]]:
    response = client_for(user).get(THREADS, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def read(user: Any, thread: Any, up_to_seq: Any) -> Any:
    return client_for(user).post(
        f"{THREADS}{thread.pk}/read/", {"up_to_seq": up_to_seq}, format="json"
    )


def block_url(thread: Any) -> str:
    return f"{THREADS}{thread.pk}/block/"


# --- Opening a thread -------------------------------------------------------------------------


def test_a_buyer_opens_one_thread_per_listing(buyer: Any, listing: Listing) -> None:
    first = open_(buyer, listing)
    second = open_(buyer, listing)

    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json() == second.json()
    assert Thread.objects.filter(listing=listing, buyer=buyer).count() == 1


def test_the_seller_cannot_message_his_own_listing(author: Any, listing: Listing) -> None:
    assert_error(open_(author, listing), 400, "cannot_message_self")


def test_a_business_member_cannot_message_the_business_listing(
    dealer: Any, dealer_admin: Any, dealer_seller: Any
) -> None:
    listing = active_listing(dealer_seller, business_id=str(dealer.pk))

    assert_error(open_(dealer_admin, listing), 400, "cannot_message_self")


def test_a_new_thread_needs_an_active_listing(buyer: Any, author: Any) -> None:
    draft = Listing.objects.get(pk=create(author).json()["id"])
    sold = active_listing(author)
    Listing.objects.filter(pk=sold.pk).update(status="sold")

    assert_error(open_(buyer, draft), 404, "not_found")
    assert_error(open_(buyer, sold), 404, "not_found")
    assert not Thread.objects.exists()


def test_an_existing_thread_stays_usable_after_the_listing_is_sold(
    buyer: Any, author: Any, listing: Listing, thread: Thread
) -> None:
    Listing.objects.filter(pk=listing.pk).update(status="archived")

    assert open_(buyer, listing).status_code == 200
    assert send(buyer, thread, "Still there?").status_code == 201
    assert send(author, thread, "Sold, sorry", "s-1").status_code == 201
    assert threads_of(buyer)[0]["listing"]["status"] == "archived"


@pytest.mark.parametrize("listing_id", ["not-a-uuid", "", None, [1]])
def test_a_malformed_listing_id_is_a_validation_error(buyer: Any, listing_id: Any) -> None:
    response = client_for(buyer).post(THREADS, {"listing_id": listing_id}, format="json")

    assert assert_error(response, 400, "invalid")["fields"].keys() == {"listing_id"}


def test_an_unknown_listing_is_404(buyer: Any) -> None:
    response = client_for(buyer).post(
        THREADS, {"listing_id": "00000000-0000-0000-0000-000000000000"}, format="json"
    )

    assert_error(response, 404, "not_found")


def test_the_chat_needs_a_login(thread: Thread) -> None:
    assert_error(APIClient().get(THREADS), 401, "not_authenticated")
    assert_error(APIClient().get(messages_url(thread)), 401, "not_authenticated")


# --- The thread list --------------------------------------------------------------------------


def test_the_buyer_sees_the_seller_and_the_seller_sees_the_buyer(
    buyer: Any, author: Any, listing: Listing, thread: Thread
) -> None:
    send(buyer, thread, "Здравствуйте! Торг уместен?")

    [as_buyer] = threads_of(buyer)
    [as_seller] = threads_of(author)

    assert as_buyer["id"] == str(thread.pk)
    assert as_buyer["listing"]["id"] == str(listing.pk)
    assert as_buyer["listing"]["title"] == listing.title
    assert as_buyer["listing"]["status"] == "active"
    assert as_buyer["other_party"] == {
        "kind": "user",
        "id": str(author.pk),
        "name": author.display_name,
        "avatar_url": None,
    }
    assert as_seller["other_party"] == {
        "kind": "user",
        "id": str(buyer.pk),
        "name": "Азамат",
        "avatar_url": None,
    }
    assert as_buyer["last_message"]["body"] == "Здравствуйте! Торг уместен?"
    assert as_buyer["last_message"] == as_seller["last_message"]
    assert (as_buyer["unread_count"], as_seller["unread_count"]) == (0, 1)
    assert as_buyer["blocked_by_me"] is as_buyer["blocked_by_other_party"] is False


def test_the_buyer_sees_a_business_listings_business(
    buyer: Any, dealer: Any, dealer_seller: Any
) -> None:
    listing = active_listing(dealer_seller, business_id=str(dealer.pk))
    open_thread(buyer, listing)

    [item] = threads_of(buyer)

    assert item["other_party"] == {
        "kind": "business",
        "id": str(dealer.pk),
        "name": "Bishkek Motors",
        "avatar_url": None,
    }


def test_a_deleted_buyer_is_shown_as_a_deleted_user(
    buyer: Any, author: Any, thread: Thread
) -> None:
    send(buyer, thread, "Hello")
    account_delete(user=buyer)

    [item] = client_for(author).get(THREADS, HTTP_ACCEPT_LANGUAGE="en").json()["results"]

    assert item["other_party"]["name"] == "Deleted user"
    assert item["last_message"]["body"] == "Hello"


def test_threads_come_newest_activity_first(buyer: Any, author: Any) -> None:
    older = open_thread(buyer, active_listing(author))
    newer = open_thread(buyer, active_listing(author))
    assert [item["id"] for item in threads_of(buyer)] == [str(newer.pk), str(older.pk)]

    send(author, older, "A reply bumps the thread")

    assert [item["id"] for item in threads_of(buyer)] == [str(older.pk), str(newer.pk)]


def test_a_third_user_sees_no_thread_and_gets_404_everywhere(
    buyer: Any, stranger: Any, thread: Thread
) -> None:
    send(buyer, thread, "private")
    client = client_for(stranger)

    assert threads_of(stranger) == []
    assert_error(client.get(messages_url(thread)), 404, "not_found")
    assert_error(send(stranger, thread, "let me in", "x-1"), 404, "not_found")
    assert_error(read(stranger, thread, 1), 404, "not_found")
    assert_error(client.post(block_url(thread)), 404, "not_found")
    assert_error(client.delete(block_url(thread)), 404, "not_found")
    assert_error(client.get(f"{THREADS}not-a-uuid/messages/"), 404, "not_found")


def test_a_business_colleague_sees_and_answers_the_thread(
    buyer: Any, dealer: Any, dealer_admin: Any, dealer_seller: Any, stranger: Any
) -> None:
    listing = active_listing(dealer_seller, business_id=str(dealer.pk))
    thread = open_thread(buyer, listing)
    send(buyer, thread, "Is it still available?")

    [item] = threads_of(dealer_admin)
    response = send(dealer_admin, thread, "Yes, come by", "a-1")

    assert item["id"] == str(thread.pk)
    assert item["unread_count"] == 1
    assert response.status_code == 201
    messages = client_for(buyer).get(messages_url(thread)).json()["results"]
    assert [m["sender_id"] for m in messages] == [str(dealer_admin.pk), str(buyer.pk)]
    assert threads_of(stranger) == []


def test_a_member_who_left_the_business_loses_its_threads(
    buyer: Any, dealer: Any, dealer_admin: Any, dealer_seller: Any
) -> None:
    listing = active_listing(dealer_seller, business_id=str(dealer.pk))
    thread = open_thread(buyer, listing)
    dealer.memberships.filter(user=dealer_seller).delete()

    assert threads_of(dealer_seller) == []
    assert_error(client_for(dealer_seller).get(messages_url(thread)), 404, "not_found")
    assert len(threads_of(dealer_admin)) == 1


# --- Messages ---------------------------------------------------------------------------------


def test_a_message_is_stored_numbered_and_answered_in_the_contract_shape(
    buyer: Any, thread: Thread
) -> None:
    response = send(buyer, thread, "  Добрый день  ", "c-1")

    message = Message.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "id": str(message.pk),
        "thread_id": str(thread.pk),
        "seq": 1,
        "sender_id": str(buyer.pk),
        "body": "Добрый день",
        "created_at": response.json()["created_at"],
        "client_id": "c-1",
    }
    assert send(buyer, thread, "second", "c-2").json()["seq"] == 2
    thread.refresh_from_db()
    assert thread.last_seq == 2
    assert thread.last_message_at is not None


def test_repeating_a_client_id_returns_the_first_message(buyer: Any, thread: Thread) -> None:
    first = send(buyer, thread, "once", "same")
    again = send(buyer, thread, "twice?", "same")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Message.objects.count() == 1


def test_the_same_client_id_from_the_other_party_is_another_message(
    buyer: Any, author: Any, thread: Thread
) -> None:
    assert send(buyer, thread, "from the buyer", "1").status_code == 201
    assert send(author, thread, "from the seller", "1").status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "", "client_id": "c"}, "body"),
        ({"body": "   ", "client_id": "c"}, "body"),
        ({"body": "x" * 4001, "client_id": "c"}, "body"),
        ({"body": ["x"], "client_id": "c"}, "body"),
        ({"body": "hi"}, "client_id"),
        ({"body": "hi", "client_id": "c" * 65}, "client_id"),
    ],
)
def test_a_bad_message_is_refused_field_by_field(
    buyer: Any, thread: Thread, payload: dict[str, Any], field: str
) -> None:
    response = client_for(buyer).post(messages_url(thread), payload, format="json")

    assert assert_error(response, 400, "invalid")["fields"].keys() == {field}
    assert not Message.objects.exists()


def test_a_4000_character_message_is_accepted(buyer: Any, thread: Thread) -> None:
    assert send(buyer, thread, "я" * 4000).status_code == 201


def test_messages_come_newest_first_and_after_a_seq_oldest_first(
    buyer: Any, author: Any, thread: Thread
) -> None:
    for index in range(5):
        send(buyer if index % 2 else author, thread, f"#{index + 1}", f"c-{index}")
    client = client_for(buyer)

    newest = client.get(messages_url(thread), {"page_size": 2}).json()
    rest = client.get(newest["next"]).json()
    after = client.get(messages_url(thread), {"after": 2}).json()

    assert [m["seq"] for m in newest["results"]] == [5, 4]
    assert [m["seq"] for m in rest["results"]] == [3, 2]
    assert [m["seq"] for m in after["results"]] == [3, 4, 5]
    assert after["next"] is None
    assert client.get(messages_url(thread), {"after": 5}).json()["results"] == []


@pytest.mark.parametrize("after", ["-1", "x", "2.5"])
def test_a_bad_after_is_a_validation_error(buyer: Any, thread: Thread, after: str) -> None:
    response = client_for(buyer).get(messages_url(thread), {"after": after})

    assert assert_error(response, 400, "invalid")["fields"].keys() == {"after"}


def test_a_user_may_send_20_messages_in_10_seconds(buyer: Any, thread: Thread) -> None:
    statuses = [send(buyer, thread, f"#{i}", f"c-{i}").status_code for i in range(21)]

    assert statuses == [201] * 20 + [429]
    assert Message.objects.count() == 20


def test_the_send_limit_lets_messages_through_while_its_store_is_down(
    buyer: Any, thread: Thread, settings: Any
) -> None:
    # Nothing listens on port 1: the limit's Redis is down, and only the limit uses it here.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = send(buyer, thread, "Здравствуйте!", "c-outage")

    assert response.status_code == 201, response.content
    assert Message.objects.filter(thread=thread, client_id="c-outage").exists()


def test_sent_messages_are_counted_for_metrics(
    buyer: Any, thread: Thread, django_capture_on_commit_callbacks: Any
) -> None:
    before = REGISTRY.get_sample_value("marketplace_chat_messages_total") or 0.0

    with django_capture_on_commit_callbacks(execute=True):
        send(buyer, thread, "one", "c-1")
        send(buyer, thread, "one again", "c-1")

    assert REGISTRY.get_sample_value("marketplace_chat_messages_total") == before + 1


# --- Read positions ---------------------------------------------------------------------------


def test_unread_counts_follow_the_read_position(buyer: Any, author: Any, thread: Thread) -> None:
    for index in range(3):
        send(buyer, thread, f"#{index}", f"c-{index}")

    assert threads_of(author)[0]["unread_count"] == 3
    assert read(author, thread, 2).status_code == 204
    assert threads_of(author)[0]["unread_count"] == 1
    assert read(author, thread, 1).status_code == 204  # never moves back
    assert threads_of(author)[0]["unread_count"] == 1
    assert read(author, thread, 99).status_code == 204  # capped at the last message
    assert threads_of(author)[0]["unread_count"] == 0
    send(buyer, thread, "one more", "c-9")
    assert threads_of(author)[0]["unread_count"] == 1


def test_own_messages_are_never_unread(buyer: Any, author: Any, thread: Thread) -> None:
    send(buyer, thread, "question", "b-1")
    send(author, thread, "answer", "s-1")

    assert threads_of(author)[0]["unread_count"] == 0
    assert threads_of(buyer)[0]["unread_count"] == 1


def test_read_state_is_per_user_in_a_business(
    buyer: Any, dealer: Any, dealer_admin: Any, dealer_seller: Any
) -> None:
    thread = open_thread(buyer, active_listing(dealer_seller, business_id=str(dealer.pk)))
    send(buyer, thread, "hello")

    read(dealer_admin, thread, 1)

    assert threads_of(dealer_admin)[0]["unread_count"] == 0
    assert threads_of(dealer_seller)[0]["unread_count"] == 1


@pytest.mark.parametrize("up_to_seq", [-1, "x", None])
def test_a_bad_read_position_is_a_validation_error(
    buyer: Any, thread: Thread, up_to_seq: Any
) -> None:
    assert assert_error(read(buyer, thread, up_to_seq), 400, "invalid")["fields"].keys() == {
        "up_to_seq"
    }


# --- Blocking ---------------------------------------------------------------------------------


def test_a_blocked_buyer_cannot_send_until_unblocked(
    buyer: Any, author: Any, thread: Thread
) -> None:
    assert client_for(author).post(block_url(thread)).status_code == 204
    assert client_for(author).post(block_url(thread)).status_code == 204  # idempotent

    assert_error(send(buyer, thread, "Why?"), 403, "blocked")
    assert send(author, thread, "The blocker still may", "s-1").status_code == 201
    assert threads_of(buyer)[0]["blocked_by_other_party"] is True
    assert threads_of(author)[0]["blocked_by_me"] is True

    assert client_for(author).delete(block_url(thread)).status_code == 204
    assert send(buyer, thread, "Thanks").status_code == 201
    assert list(
        AuditEntry.objects.filter(target_id=str(thread.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["chat.blocked", "chat.unblocked"]


def test_a_buyer_blocks_the_whole_business(
    buyer: Any, dealer: Any, dealer_admin: Any, dealer_seller: Any
) -> None:
    thread = open_thread(buyer, active_listing(dealer_seller, business_id=str(dealer.pk)))

    client_for(buyer).post(block_url(thread))

    assert_error(send(dealer_admin, thread, "Hello?"), 403, "blocked")
    assert_error(send(dealer_seller, thread, "Hello?"), 403, "blocked")
    # Only the side that blocked lifts it.
    client_for(dealer_admin).delete(block_url(thread))
    assert_error(send(dealer_seller, thread, "Hello?"), 403, "blocked")


def test_a_colleague_may_lift_his_business_block(
    buyer: Any, dealer: Any, dealer_admin: Any, dealer_seller: Any
) -> None:
    thread = open_thread(buyer, active_listing(dealer_seller, business_id=str(dealer.pk)))
    client_for(dealer_seller).post(block_url(thread))
    assert_error(send(buyer, thread, "Hi"), 403, "blocked")

    client_for(dealer_admin).delete(block_url(thread))

    assert send(buyer, thread, "Hi").status_code == 201


# --- Push -------------------------------------------------------------------------------------


def test_an_offline_recipient_gets_a_localized_push_with_name_and_preview(
    buyer: Any, author: Any, thread: Thread, django_capture_on_commit_callbacks: Any
) -> None:
    from accounts import push

    author.language = "en"
    author.save(update_fields=("language",))
    register_device(author)
    register_device(buyer, "ExponentPushToken[buyer-phone]")
    long_body = "Is the price negotiable? " * 10

    with django_capture_on_commit_callbacks(execute=True):
        send(buyer, thread, long_body)

    [notification] = push.outbox
    assert notification.token == "ExponentPushToken[seller-phone]"
    assert notification.title == "New message from Азамат"
    assert notification.body.startswith(f"“{thread.listing.title}”: Is the price negotiable?")
    assert notification.body.endswith("…")
    assert len(notification.body) < len(long_body)
    assert notification.data == {
        "type": "message.new",
        "thread_id": str(thread.pk),
        "message_id": str(Message.objects.get().pk),
        "seq": 1,
    }


def test_the_push_speaks_the_recipients_language(
    buyer: Any, author: Any, thread: Thread, django_capture_on_commit_callbacks: Any
) -> None:
    from accounts import push

    author.language = "ky"
    author.save(update_fields=("language",))
    register_device(author)

    with django_capture_on_commit_callbacks(execute=True):
        send(buyer, thread, "Саламатсызбы")

    assert push.outbox[0].title == "Азамат жаңы билдирүү жөнөттү"


def test_a_buyer_is_pushed_the_business_name(
    buyer: Any,
    dealer: Any,
    dealer_admin: Any,
    dealer_seller: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from accounts import push

    thread = open_thread(buyer, active_listing(dealer_seller, business_id=str(dealer.pk)))
    register_device(buyer, "ExponentPushToken[buyer-phone]")
    buyer.language = "en"
    buyer.save(update_fields=("language",))

    with django_capture_on_commit_callbacks(execute=True):
        send(dealer_admin, thread, "We have it in stock", "a-1")

    assert [n.title for n in push.outbox] == ["New message from Bishkek Motors"]


def test_no_push_to_a_recipient_with_a_live_socket(
    buyer: Any, author: Any, thread: Thread, django_capture_on_commit_callbacks: Any
) -> None:
    from accounts import push

    register_device(author)
    async_to_sync(presence.touch)(user_id=author.pk, socket="specific.socket!1")

    with django_capture_on_commit_callbacks(execute=True):
        send(buyer, thread, "Hi")

    assert push.outbox == []


def test_a_socket_silent_for_a_minute_no_longer_counts_as_live(
    author: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = timezone.now().timestamp()
    monkeypatch.setattr(presence.time, "time", lambda: now - presence.PRESENCE_SECONDS - 1)
    async_to_sync(presence.touch)(user_id=author.pk, socket="old.socket!1")
    monkeypatch.setattr(presence.time, "time", lambda: now)

    assert live_user_ids([author.pk]) == set()


def test_presence_expires_in_redis_by_itself(author: Any, settings: Any) -> None:
    import redis

    async_to_sync(presence.touch)(user_id=author.pk, socket="a.socket!1")

    ttl = redis.Redis.from_url(settings.REDIS_URL).ttl(f"chat:presence:{author.pk}")
    assert 0 < ttl <= presence.PRESENCE_SECONDS


def test_a_thousand_sockets_coming_and_going_at_once_keep_their_presence(
    caplog: pytest.LogCaptureFixture,
) -> None:
    users = [uuid.uuid4() for _ in range(1000)]

    async def burst(call: Any) -> None:
        await asyncio.gather(*(call(user_id=user, socket=f"s!{user}") for user in users))

    # A deploy or a carrier's blip: every socket reconnects, or drops, in the same moment.
    async_to_sync(burst)(presence.touch)
    live = live_user_ids(users)
    async_to_sync(burst)(presence.leave)

    assert live == {str(user) for user in users}
    assert live_user_ids(users) == set()
    assert "Presence store unavailable" not in caplog.text


def test_without_redis_presence_lives_in_the_process(author: Any, settings: Any) -> None:
    settings.REDIS_URL = None
    async_to_sync(presence.touch)(user_id=author.pk, socket="local!1")
    assert live_user_ids([author.pk, buyer_id := UserFactory().pk]) == {str(author.pk)}

    async_to_sync(presence.leave)(user_id=author.pk, socket="local!1")

    assert live_user_ids([author.pk, buyer_id]) == set()


def test_a_rolled_back_send_announces_and_pushes_nothing(
    buyer: Any, author: Any, thread: Thread, django_capture_on_commit_callbacks: Any
) -> None:
    from accounts import push

    register_device(author)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send(buyer, thread, "Hi")

    assert len(callbacks) == 1  # the announcement waits for the commit
    assert push.outbox == []


# --- Query counts -----------------------------------------------------------------------------


def _threads_for(seller: Any, count: int) -> None:
    for _ in range(count):
        buyer = UserFactory()
        thread = open_thread(buyer, active_listing(seller))
        send(buyer, thread, "hello")


@pytest.mark.parametrize("page_size", [1, 50])
def test_the_thread_list_costs_the_same_whatever_its_length(
    author: Any, page_size: int, django_assert_num_queries: Any, settings: Any
) -> None:
    settings.PERSONAL_LISTING_LIMIT = 100
    client = client_for(author)
    _threads_for(author, 2)
    with django_assert_num_queries(3):
        assert len(client.get(THREADS, {"page_size": page_size}).json()["results"]) == min(
            2, page_size
        )

    _threads_for(author, 6)

    with django_assert_num_queries(3):
        assert len(client.get(THREADS, {"page_size": page_size}).json()["results"]) == min(
            8, page_size
        )


def test_resending_a_stored_message_is_not_held_by_the_send_limit(
    buyer: Any, thread: Thread
) -> None:
    for i in range(20):
        assert send(buyer, thread, f"#{i}", f"c-{i}").status_code == 201

    again = send(buyer, thread, "#0", "c-0")

    assert again.status_code == 200
    assert again.json()["seq"] == 1
    assert send(buyer, thread, "#20", "c-20").status_code == 429
