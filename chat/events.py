"""The payloads sent over sockets, each built here once (REST answers a message with the same
`message_payload`), and the channel-layer envelopes that carry them to a user's sockets."""

import uuid
from typing import Any

from django.utils import timezone

from listings.cards import iso_time

from .models import Message, Thread


def user_group(user_id: Any) -> str:
    """The channel-layer group of one user's sockets (every device they are connected from)."""
    return f"chat.user.{uuid.UUID(str(user_id)).hex}"


def message_payload(message: Message) -> dict[str, Any]:
    return {
        "id": str(message.pk),
        "thread_id": str(message.thread_id),
        "seq": message.seq,
        "sender_id": str(message.sender_id),
        "body": message.body,
        "created_at": iso_time(message.created_at, timezone.get_current_timezone()),
        "client_id": message.client_id,
    }


def message_new(message: Message) -> dict[str, Any]:
    return {"type": "message.new", "message": message_payload(message)}


def message_read(*, thread_id: Any, reader_id: Any, up_to_seq: int) -> dict[str, Any]:
    return {
        "type": "message.read",
        "thread_id": str(thread_id),
        "reader_id": str(reader_id),
        "up_to_seq": up_to_seq,
    }


def thread_new(thread: Thread) -> dict[str, Any]:
    """For the seller side: the app fetches the thread list for the listing's card."""
    return {
        "type": "thread.new",
        "thread": {
            "id": str(thread.pk),
            "listing_id": str(thread.listing_id),
            "buyer_id": str(thread.buyer_id),
            "created_at": iso_time(thread.created_at, timezone.get_current_timezone()),
        },
    }


def error(
    code: str,
    message: Any,
    *,
    client_id: Any = None,
    thread_id: Any = None,
    fields: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "error", "code": code, "message": str(message)}
    if isinstance(client_id, str):
        event["client_id"] = client_id
    if isinstance(thread_id, str):
        event["thread_id"] = thread_id
    if fields:
        event["fields"] = fields
    return event


PONG = {"type": "pong"}

# Channel-layer envelopes: the `type` names the consumer's handler.


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    """An event for the sockets of a user's group, sent as it is."""
    return {"type": "chat.event", "event": event}


def sessions_revoked(token_version: int) -> dict[str, Any]:
    """Closes (4401) the sockets of a user authenticated with tokens older than this."""
    return {"type": "session.revoked", "token_version": token_version}


def login_revoked(session_id: str) -> dict[str, Any]:
    """Closes (4401) the sockets of a user authenticated with tokens of this login session."""
    return {"type": "login.revoked", "session_id": session_id}
