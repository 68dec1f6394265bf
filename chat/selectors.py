"""Every read of the chat, scoped to the threads the caller takes part in.

A participant is the buyer or the listing's seller side: the author of a personal listing,
or every admin and seller of the business of a business listing at the time of reading.
Anyone else gets 404 for a thread, never 403: an answer must not reveal that it exists.
"""

import uuid
from typing import Any

from django.db.models import Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404

from business.models import Business
from business.permissions import member_ids
from core.db import Row, Values, columns_of, instance_of, prepared_rows
from core.ids import uuid_or_404
from listings.models import Listing
from listings.permissions import seller_side_ids

from .models import Block, Message, ReadState, Side, Thread


def threads_of_user(user: Any) -> QuerySet[Thread]:
    """The threads `user` takes part in, as buyer or on the seller side."""
    # A UNION of the two sides rather than an OR, so that each is an index scan (the OR read
    # every thread and every listing); order_by() as in seller_side_ids.
    as_buyer = Thread.objects.filter(buyer=user).order_by().values("pk")
    as_seller = Thread.objects.filter(listing__in=seller_side_ids(user)).order_by().values("pk")
    return Thread.objects.filter(pk__in=as_buyer.union(as_seller, all=True))


# The thread with its listing (all but its search document) and the listing's business.
_THREAD = columns_of(Thread)
_LISTING = columns_of(Listing, without=("search_vector",))
_BUSINESS = columns_of(Business)
_THREAD_ROW = (
    *_THREAD,
    *(f"listing__{name}" for name in _LISTING),
    *(f"listing__business__{name}" for name in _BUSINESS),
)


def thread_get_for_participant(*, user: Any, thread_id: Any) -> tuple[Thread, Side]:
    """The thread (with its listing and business) and the caller's side; 404 for missing and
    not theirs.

    Found through `threads_of_user`, the one rule of who takes part, in a statement compiled
    once (`core.db.prepared_rows`): every chat message asks it, and building that query cost
    the send more than anything else."""
    if user is None or not user.is_authenticated:
        raise Http404

    def build(values: Values) -> QuerySet[Thread, Row]:
        theirs = threads_of_user(values.uuid("user"))
        return theirs.filter(pk=values.uuid("thread")).values(*_THREAD_ROW)

    found = prepared_rows(
        ("chat thread",), build, {"user": user.pk, "thread": uuid_or_404(thread_id)}
    )
    if not found:
        raise Http404
    [row] = found
    thread = instance_of(Thread, row, _THREAD)
    listing = instance_of(Listing, row, _LISTING, "listing__")
    has_business = row["listing__business_id"] is not None
    listing.business = (
        instance_of(Business, row, _BUSINESS, "listing__business__") if has_business else None
    )
    thread.listing = listing
    return thread, Side.BUYER if thread.buyer_id == user.pk else Side.SELLER


def thread_participant_ids(*, thread: Thread) -> list[uuid.UUID]:
    """Everyone who takes part now: the buyer, then the seller side (its listing loaded)."""
    listing = thread.listing
    if listing.business_id is None:
        seller_side = [listing.author_id]
    else:
        seller_side = member_ids(business_id=listing.business_id)
    return list(dict.fromkeys([thread.buyer_id, *seller_side]))


def thread_list(*, user: Any) -> QuerySet[Thread]:
    """The caller's threads, newest activity first, each with their unread count and who has
    blocked whom; one query for a page (the list's messages and cards take one more each)."""
    read_to = ReadState.objects.filter(thread=OuterRef("pk"), user=user).values("last_read_seq")
    return (
        threads_of_user(user)
        .select_related("buyer")
        .annotate(
            unread_count=Greatest(
                F("last_seq") - Coalesce(Subquery(read_to[:1]), Value(0)),
                Value(0),
                output_field=IntegerField(),
            ),
            buyer_blocked=Exists(Block.objects.filter(thread=OuterRef("pk"), side=Side.BUYER)),
            seller_blocked=Exists(Block.objects.filter(thread=OuterRef("pk"), side=Side.SELLER)),
        )
    )


def thread_for_list(*, user: Any, thread: Thread) -> Thread:
    """One thread as the list shows it (after opening it)."""
    return thread_list(user=user).get(pk=thread.pk)


def last_messages(threads: list[Thread]) -> dict[uuid.UUID, Message]:
    """The last message of each thread, in one query."""
    with_messages = [thread.pk for thread in threads if thread.last_seq]
    if not with_messages:
        return {}
    messages = Message.objects.filter(thread_id__in=with_messages, seq=F("thread__last_seq"))
    return {message.thread_id: message for message in messages}


def messages_of_thread(*, thread: Thread, after: int | None = None) -> QuerySet[Message]:
    """The thread's messages; with `after`, only those numbered above it."""
    messages = Message.objects.filter(thread=thread)
    if after is not None:
        messages = messages.filter(seq__gt=after)
    return messages
