"""Chat's part of the staff reports (`marketplace_stats`, `export_user_data`)."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from .models import Block, Message, Thread


def chat_figures(now: datetime) -> dict[str, Any]:
    return {
        "messages_24h": Message.objects.filter(created_at__gte=now - timedelta(hours=24)).count()
    }


def chat_personal_data(user: Any) -> dict[str, Any]:
    """The threads the user is the buyer of, or wrote in, and what they sent; messages of
    others belong to their senders and are not copied."""
    involved = Q(buyer=user) | Q(messages__sender=user)
    threads = Thread.objects.filter(involved).distinct().order_by("created_at")
    return {
        "threads": list(
            threads.values(
                "id", "listing_id", "listing__title", "buyer_id", "created_at", "last_message_at"
            )
        ),
        "messages_sent": list(
            Message.objects.filter(sender=user)
            .order_by("created_at")
            .values("id", "thread_id", "seq", "body", "client_id", "created_at")
        ),
        "blocks": list(
            Block.objects.filter(blocked_by=user).values("thread_id", "side", "created_at")
        ),
    }
