"""Every write of the chat — opening a thread, sending, reading, blocking — for REST and the
socket alike. Each stores in a transaction; socket events, pushes and metrics follow the
commit, so a rolled-back write announces nothing and an announced message is stored."""

import asyncio
import logging
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.notifications import notify_user
from accounts.ratelimit import Limit, hit_alongside
from accounts.services import audit_record
from core.channel_layer import RedisChannelLayer
from core.db import Row, Values, columns_of, instance_of, prepared_rows
from core.errors import DomainError
from core.ids import uuid_or_404
from core.inserts import insert_unless_present
from listings.models import Listing, Status
from listings.permissions import listings_visible_to
from listings.selectors import listing_is_seller_side

from . import events, presence
from .exceptions import Blocked, CannotMessageSelf
from .locks import send_numbered, threads_for_update
from .metrics import messages_sent
from .models import BODY_MAX_LENGTH, CLIENT_ID_MAX_LENGTH, Block, Message, ReadState, Side, Thread
from .selectors import thread_participant_ids

logger = logging.getLogger(__name__)

# Per user, over REST and sockets together: room for a fast typist, not for a spammer.
SENDS_PER_WINDOW = 20
SEND_WINDOW_SECONDS = 10
PREVIEW_LENGTH = 100

PUSH_TITLE = _("New message from %(name)s")
PUSH_BODY = _("“%(listing)s”: %(preview)s")


def broadcast(user_ids: list[Any], event: dict[str, Any]) -> None:
    """Send `event` to every socket of these users. A channel-layer outage is logged, not
    raised: the change is stored, and the apps catch up with `?after=` when they reconnect."""
    layer = get_channel_layer()
    if layer is None or not user_ids:
        return
    message = events.envelope(event)

    groups = [events.user_group(user_id) for user_id in user_ids]

    async def send_all() -> None:
        if isinstance(layer, RedisChannelLayer):
            await layer.group_send_many(groups, message)
        else:
            await asyncio.gather(*(layer.group_send(group, message) for group in groups))

    try:
        async_to_sync(send_all)()
    except Exception:
        logger.exception("Could not send %s to the sockets", event["type"])


# --- Threads ----------------------------------------------------------------------------------


def thread_open(*, buyer: User, listing_id: Any) -> tuple[Thread, bool]:
    """The buyer's thread about a listing, opened if need be; True if this call opened it.

    An existing thread stays usable after its listing is sold or archived. A new one needs an
    active listing the buyer may see (else 404) that is not their own (`cannot_message_self`).
    One per listing and buyer also when two calls race: the unique constraint lets one insert,
    and the other reads the winner's thread. The seller side hears of a new thread.
    """
    key = uuid_or_404(listing_id)
    existing = Thread.objects.filter(listing_id=key, buyer=buyer).first()
    if existing is not None:
        return existing, False
    listing = listings_visible_to(buyer).filter(pk=key).select_related("business").first()
    if listing is None:
        raise Http404
    if listing_is_seller_side(user=buyer, listing=listing):
        raise CannotMessageSelf
    if listing.status != Status.ACTIVE:
        raise Http404
    try:
        with transaction.atomic():
            thread = Thread.objects.create(listing=listing, buyer=buyer)
            transaction.on_commit(partial(_thread_opened, thread, listing))
    except IntegrityError:
        winner = Thread.objects.filter(listing=listing, buyer=buyer).first()
        if winner is None:
            raise
        return winner, False
    return thread, True


def _thread_opened(thread: Thread, listing: Listing) -> None:
    thread.listing = listing
    participants = thread_participant_ids(thread=thread)
    seller_side = [user_id for user_id in participants if user_id != thread.buyer_id]
    broadcast(seller_side, events.thread_new(thread))


# --- Messages ---------------------------------------------------------------------------------


def _validated(body: str, client_id: str) -> str:
    body = body.strip()
    problems: dict[str, list[str]] = {}
    if not 1 <= len(body) <= BODY_MAX_LENGTH:
        problems["body"] = [str(_("Write from 1 to 4000 characters."))]
    if not 1 <= len(client_id) <= CLIENT_ID_MAX_LENGTH:
        problems["client_id"] = [str(_("From 1 to 64 characters."))]
    if problems:
        raise DomainError(fields=problems)
    return body


def _read_to(*, thread_id: Any, user_id: Any, seq: int) -> bool:
    """Move the user's read position forward to `seq` (never back); True if it moved."""
    state, created = ReadState.objects.get_or_create(
        thread_id=thread_id, user_id=user_id, defaults={"last_read_seq": seq}
    )
    if created:
        return seq > 0
    moved = ReadState.objects.filter(pk=state.pk, last_read_seq__lt=seq).update(
        last_read_seq=seq, updated_at=timezone.now()
    )
    return bool(moved)


def message_send(
    *, thread: Thread, side: Side, sender: User, body: str, client_id: str
) -> tuple[Message, bool]:
    """Store a message and announce it; True if stored now, False when `client_id` repeats a
    message the sender already stored in the thread (that one is returned, nothing is sent).

    `thread` (with its listing and business) and `side` come from
    `thread_get_for_participant`. The thread's row is locked while the message is numbered
    and the repeat looked for, so concurrent sends get consecutive `seq`s and a repeated
    `client_id` is found, not inserted twice. Raises Blocked when the other side has blocked
    the sender's, RateLimited past 20 messages in 10 seconds.
    """
    body = _validated(body, client_id)
    # An app resending its queue after a reconnect gets its stored message back, not a 429.
    stored = _stored(thread, sender, client_id)
    if stored is not None:
        return stored, False
    participants = thread_participant_ids(thread=thread)
    recipients = [user_id for user_id in participants if user_id != sender.pk]
    # The send limit and which recipients have a live socket, in one Redis round trip. The
    # limit fails open: chat over REST keeps working while Redis is down (the sockets cannot).
    limit = Limit(f"chat-send:{sender.pk}", SENDS_PER_WINDOW, SEND_WINDOW_SECONDS)
    counts = hit_alongside(limit, lambda pipe: presence.queue_live(pipe, recipients))
    live = presence.live_among(recipients, counts)
    other_side = Side.SELLER if side == Side.BUYER else Side.BUYER
    store = _store_in_one_statement if connection.vendor == "postgresql" else _store_in_steps
    message, created = store(thread, sender, body, client_id, other_side)
    if created:
        offline = [user_id for user_id in recipients if str(user_id) not in live]
        transaction.on_commit(
            partial(_message_sent, message, thread, sender, participants, offline)
        )
    return message, created


_MESSAGE = columns_of(Message)


def _stored(thread: Thread, sender: User, client_id: str) -> Message | None:
    """The sender's message in the thread with this `client_id`, if stored; in a statement
    compiled once (`core.db.prepared_rows`), as every send asks it."""

    def build(values: Values) -> QuerySet[Message, Row]:
        return Message.objects.filter(
            thread_id=values.uuid("thread"),
            sender_id=values.uuid("sender"),
            client_id=values.text("client_id"),
        ).values(*_MESSAGE)

    ids = {"thread": thread.pk, "sender": sender.pk, "client_id": client_id}
    found = prepared_rows(("chat message by client id",), build, ids)
    return instance_of(Message, found[0], _MESSAGE) if found else None


def _store_in_one_statement(
    thread: Thread, sender: User, body: str, client_id: str, other_side: str
) -> tuple[Message, bool]:
    """PostgreSQL: numbered, stored, the thread and the sender's read position moved, in one
    statement (chat.locks.SEND_NUMBERED); a second only when nothing was stored."""
    now = timezone.now()
    message = Message(thread=thread, sender=sender, body=body, client_id=client_id, created_at=now)
    seq, blocked = send_numbered(
        {
            "id": message.pk,
            "thread": thread.pk,
            "sender": sender.pk,
            "body": body,
            "client_id": client_id,
            "now": now,
            "other_side": other_side,
        }
    )
    if seq is None:
        existing = _stored(thread, sender, client_id)
        if existing is not None:
            return existing, False
        if blocked:
            raise Blocked
        raise Http404  # the thread's row is gone
    message.seq = seq
    message._state.adding, message._state.db = False, connection.alias
    return message, True


def _store_in_steps(
    thread: Thread, sender: User, body: str, client_id: str, other_side: str
) -> tuple[Message, bool]:
    """The same as `_store_in_one_statement`, for SQLite (`make run`), which cannot modify rows
    inside a WITH: the thread's row locked, then each write."""
    with transaction.atomic():
        locked = (
            threads_for_update()
            .annotate(blocked=Exists(Block.objects.filter(thread=OuterRef("pk"), side=other_side)))
            .get(pk=thread.pk)
        )
        # A statement of its own, after the lock: it sees a repeat committed while we waited.
        existing = _stored(locked, sender, client_id)
        if existing is not None:
            return existing, False
        if locked.blocked:
            raise Blocked
        now = timezone.now()
        message = Message.objects.create(
            thread=locked,
            seq=locked.last_seq + 1,
            sender=sender,
            body=body,
            client_id=client_id,
            created_at=now,
        )
        Thread.objects.filter(pk=locked.pk).update(
            last_seq=message.seq, last_message_at=now, last_activity_at=now
        )
        # Who writes has read what they answer: their own messages never count as unread. The
        # newest message: the position can only move forward here.
        ReadState.objects.bulk_create(
            [ReadState(thread=locked, user=sender, last_read_seq=message.seq, updated_at=now)],
            update_conflicts=True,
            unique_fields=("thread", "user"),
            update_fields=("last_read_seq", "updated_at"),
        )
    return message, True


def _message_sent(
    message: Message, thread: Thread, sender: User, participants: list[Any], offline: list[Any]
) -> None:
    messages_sent.inc()
    broadcast(participants, events.message_new(message))
    if offline:
        _push(message, thread, sender, offline)


def _sender_name(thread: Thread, sender: User) -> str:
    """Who wrote, as the recipient sees them: the buyer sees a business listing's business."""
    listing = thread.listing
    if sender.pk != thread.buyer_id and listing.business is not None:
        return listing.business.name
    if sender.deleted_at is not None:
        return str(_("Deleted user"))
    if sender.display_name:
        return sender.display_name
    return str(_("Buyer") if sender.pk == thread.buyer_id else _("Seller"))


def _push(message: Message, thread: Thread, sender: User, user_ids: list[Any]) -> None:
    preview = message.body
    if len(preview) > PREVIEW_LENGTH:
        preview = f"{preview[: PREVIEW_LENGTH - 1].rstrip()}…"
    for user in User.objects.filter(pk__in=user_ids, is_active=True):
        with translation.override(user.language):
            name = _sender_name(thread, sender)
        notify_user(
            user=user,
            title=PUSH_TITLE,
            body=PUSH_BODY,
            params={"name": name, "listing": thread.listing.title, "preview": preview},
            data={
                "type": "message.new",
                "thread_id": str(thread.pk),
                "message_id": str(message.pk),
                "seq": message.seq,
            },
        )


# --- Read receipts ----------------------------------------------------------------------------


def thread_read(*, thread: Thread, user: User, up_to_seq: int) -> int:
    """The user has read the thread up to `up_to_seq` (capped at its last message); the
    participants' sockets hear of it when the position moved. Returns the position."""
    last_seq = Thread.objects.values_list("last_seq", flat=True).get(pk=thread.pk)
    up_to = min(max(up_to_seq, 0), last_seq)
    with transaction.atomic():
        if _read_to(thread_id=thread.pk, user_id=user.pk, seq=up_to):
            event = events.message_read(thread_id=thread.pk, reader_id=user.pk, up_to_seq=up_to)
            transaction.on_commit(lambda: broadcast(thread_participant_ids(thread=thread), event))
    return up_to


# --- Blocking ---------------------------------------------------------------------------------


def thread_block(*, thread: Thread, side: Side, user: User) -> None:
    """The user's side blocks the other side of the thread; repeating it changes nothing."""
    with transaction.atomic():
        created = insert_unless_present(Block(thread=thread, side=side, blocked_by=user))
        if created:
            audit_record(actor=user, action="chat.blocked", target=thread, data={"side": side})


def thread_unblock(*, thread: Thread, side: Side, user: User) -> None:
    """Lift the block the user's side set, if any."""
    with transaction.atomic():
        deleted, _ = Block.objects.filter(thread=thread, side=side).delete()
        if deleted:
            audit_record(actor=user, action="chat.unblocked", target=thread, data={"side": side})


# --- Sessions ---------------------------------------------------------------------------------


def sessions_revoked(user: Any) -> None:
    """accounts' hook, after every token of the user was revoked (a ban, logging out
    everywhere, a phone change, deletion): their open sockets close with 4401 after commit."""
    token_version = user.token_version
    user_id = user.pk
    transaction.on_commit(lambda: _send_to_user(user_id, events.sessions_revoked(token_version)))


def login_session_revoked(user: Any, session_id: str) -> None:
    """accounts' hook, after one login session ended (a logout, or its refresh token used
    twice): the sockets opened with its tokens close with 4401 after commit."""
    user_id = user.pk
    transaction.on_commit(lambda: _send_to_user(user_id, events.login_revoked(session_id)))


def _send_to_user(user_id: Any, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(events.user_group(user_id), message)
    except Exception:
        # The sockets still close when their token expires (15 minutes at most).
        logger.exception("Could not close the sockets of user %s", user_id)
