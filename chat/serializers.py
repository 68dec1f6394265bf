"""Input and output shapes of the chat, and the thread list's items built from plain rows."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from business.models import Business
from core.fields import StrictCharField
from listings.api import ListingCardSerializer
from listings.cards import CardBuilder, card_rows, iso_time
from listings.models import Listing, Status

from .events import message_payload
from .models import BODY_MAX_LENGTH, CLIENT_ID_MAX_LENGTH, Message, Thread
from .selectors import last_messages

# --- Input ------------------------------------------------------------------------------------


class ThreadOpenSerializer(serializers.Serializer):
    listing_id = serializers.UUIDField()


class MessageCreateSerializer(serializers.Serializer):
    body = StrictCharField(max_length=BODY_MAX_LENGTH)
    client_id = StrictCharField(
        max_length=CLIENT_ID_MAX_LENGTH,
        help_text="The app's own id for the message (a UUID, say): a retry with the same one "
        "returns the first message instead of sending it twice.",
    )


class MessageSendFrameSerializer(MessageCreateSerializer):
    """The socket's `message.send` frame."""

    thread_id = serializers.UUIDField()


class ReadSerializer(serializers.Serializer):
    up_to_seq = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


# --- Output -----------------------------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer):
    """A message as REST answers it and `message.new` carries it (`chat.events`)."""

    thread_id = serializers.UUIDField()
    sender_id = serializers.UUIDField()

    class Meta:
        model = Message
        fields = ("id", "thread_id", "seq", "sender_id", "body", "created_at", "client_id")
        read_only_fields = fields

    def to_representation(self, instance: Message) -> dict[str, Any]:
        return message_payload(instance)


class MessagePageSerializer(serializers.Serializer):
    results = MessageSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class ThreadListingCardSerializer(ListingCardSerializer):
    """The listing's card, with its status: a thread outlives the listing's sale."""

    status = serializers.ChoiceField(choices=Status.choices)

    class Meta:
        model = Listing
        fields: tuple[str, ...] = (*ListingCardSerializer.Meta.fields, "status")
        read_only_fields = fields


class OtherPartySerializer(serializers.Serializer):
    """Who the caller talks to: the buyer sees a business listing's business."""

    kind = serializers.ChoiceField(choices=(("user", "user"), ("business", "business")))
    id = serializers.UUIDField()
    name = StrictCharField()
    avatar_url = serializers.URLField(allow_null=True)


class ThreadSerializer(serializers.Serializer):
    """A thread as the caller's list shows it; built by `thread_items`."""

    id = serializers.UUIDField()
    listing = ThreadListingCardSerializer()
    other_party = OtherPartySerializer()
    last_message = MessageSerializer(allow_null=True)
    unread_count = serializers.IntegerField(min_value=0)
    blocked_by_me = serializers.BooleanField(help_text="The caller's side blocked the other.")
    blocked_by_other_party = serializers.BooleanField(
        help_text="The other side blocked the caller's: the caller cannot send here."
    )
    last_activity_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class ThreadPageSerializer(serializers.Serializer):
    results = ThreadSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


# --- The thread list's items ------------------------------------------------------------------

_avatar_storage = User._meta.get_field("avatar").storage
_logo_storage = Business._meta.get_field("logo").storage


def _person(name: str, deleted_at: Any) -> str:
    return str(_("Deleted user")) if deleted_at is not None else name


def thread_items(threads: list[Thread], *, user: Any, request: Any) -> list[dict[str, Any]]:
    """The list's items for threads from `thread_list`: two queries whatever their number
    (the last messages, the listings' cards)."""
    if not threads:
        return []
    listings = Listing.objects.filter(pk__in={thread.listing_id for thread in threads})
    extra = ("status", "business__logo", "author__deleted_at")
    rows = {row["id"]: row for row in card_rows(listings, viewer=user.pk, extra=extra)}
    last = last_messages(threads)
    builder = CardBuilder(request)
    zone = timezone.get_current_timezone()
    items = []
    for thread in threads:
        row = rows[thread.listing_id]
        as_buyer = thread.buyer_id == user.pk
        if not as_buyer:
            buyer = thread.buyer
            other = {
                "kind": "user",
                "id": str(buyer.pk),
                "name": _person(buyer.display_name, buyer.deleted_at),
                "avatar_url": builder.url(_avatar_storage, buyer.avatar.name or ""),
            }
        elif row["business_id"] is not None:
            other = {
                "kind": "business",
                "id": str(row["business_id"]),
                "name": row["business__name"],
                "avatar_url": builder.url(_logo_storage, row["business__logo"]),
            }
        else:
            other = {
                "kind": "user",
                "id": str(row["author_id"]),
                "name": _person(row["author__display_name"], row["author__deleted_at"]),
                "avatar_url": builder.url(_avatar_storage, row["author__avatar"]),
            }
        message = last.get(thread.pk)
        items.append(
            {
                "id": str(thread.pk),
                "listing": {**builder.card(row), "status": row["status"]},
                "other_party": other,
                "last_message": message_payload(message) if message is not None else None,
                "unread_count": thread.unread_count,  # type: ignore[attr-defined]
                "blocked_by_me": (
                    thread.buyer_blocked if as_buyer else thread.seller_blocked  # type: ignore[attr-defined]
                ),
                "blocked_by_other_party": (
                    thread.seller_blocked if as_buyer else thread.buyer_blocked  # type: ignore[attr-defined]
                ),
                "last_activity_at": iso_time(thread.last_activity_at, zone),
                "created_at": iso_time(thread.created_at, zone),
            }
        )
    return items
