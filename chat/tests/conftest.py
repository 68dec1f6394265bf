"""Shared fixtures of the chat tests: people, listings, threads, and sockets to them.

Socket tests run the real ASGI application (origin check, router, consumer) through Channels'
WebsocketCommunicator, against the Redis channel layer of the test settings. The consumer
works in threads of its own, so those tests use transactional databases
(`django_db(transaction=True)`) and reach the ORM through `database_sync_to_async`.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from accounts import push
from accounts.models import Device
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from chat import presence
from chat.models import Thread
from listings.models import Listing
from listings.tests.conftest import (  # noqa: F401 - shared fixtures
    active_listing,
    author,
    client_for,
    create,
    dealer,
    dealer_admin,
    dealer_seller,
    moderator,
    stranger,
)
from marketplace.asgi import application

THREADS = "/api/v1/chat/threads/"


@pytest.fixture(autouse=True)
def _empty_push_outbox() -> Iterator[None]:
    push.outbox.clear()
    yield
    push.outbox.clear()


@pytest.fixture
def buyer() -> Any:
    return UserFactory(display_name="Азамат")


@pytest.fixture
def listing(author: Any) -> Listing:  # noqa: F811 - the imported fixture
    return active_listing(author)


def open_thread(buyer: Any, listing: Listing) -> Thread:
    response = client_for(buyer).post(THREADS, {"listing_id": str(listing.pk)}, format="json")
    assert response.status_code in (200, 201), response.content
    return Thread.objects.get(pk=response.json()["id"])


@pytest.fixture
def thread(buyer: Any, listing: Listing) -> Thread:
    return open_thread(buyer, listing)


def messages_url(thread: Any) -> str:
    return f"{THREADS}{thread.pk}/messages/"


def send(user: Any, thread: Any, body: str = "Здравствуйте!", client_id: str = "c-1") -> Any:
    return client_for(user).post(
        messages_url(thread), {"body": body, "client_id": client_id}, format="json"
    )


SELLER_PHONE = "ExponentPushToken[seller-phone]"


def register_device(user: Any, token: str = SELLER_PHONE) -> Device:
    return Device.objects.create(user=user, expo_push_token=token, platform="ios")


def access_token(user: Any) -> str:
    return issue_tokens(user)["access"]


async def connect(user: Any = None, *, token: str | None = None) -> WebsocketCommunicator:
    """A socket authenticated as `user` (or with `token` as it is), already accepted."""
    if token is None:
        token = await database_sync_to_async(access_token)(user)
    communicator = WebsocketCommunicator(application, f"/ws/chat/?token={token}")
    connected, _subprotocol = await communicator.connect()
    assert connected
    return communicator


async def closed_with(communicator: WebsocketCommunicator, *, timeout: float = 1) -> int:
    """The close code the server sent next; then the client side closes too."""
    output = await communicator.receive_output(timeout=timeout)
    assert output["type"] == "websocket.close", output
    await communicator.disconnect()
    return int(output["code"])


def live_user_ids(user_ids: list[Any]) -> set[str]:
    """Who of `user_ids` has a live socket, read as a send reads it (one pipeline)."""
    ids = [str(user_id) for user_id in user_ids]
    if not settings.REDIS_URL:
        return presence.live_among(ids, None)
    pipe = redis.Redis.from_url(str(settings.REDIS_URL)).pipeline(transaction=False)
    presence.queue_live(pipe, ids)
    return presence.live_among(ids, pipe.execute())
