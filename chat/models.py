"""Buyer-seller threads: one per listing and buyer, messages numbered per thread.

A thread keeps its last `seq` and last-message time, so the thread list needs no aggregate
over messages, and a message's `seq` is taken from it under the thread's row lock (see
`chat.services.message_send`): order and `?after=` catch-up are exact even when commits
interleave. Read positions are per user, so an unread count is `last_seq - last_read_seq`.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

BODY_MAX_LENGTH = 4000
CLIENT_ID_MAX_LENGTH = 64


class Side(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller side")


class Thread(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey(
        "listings.Listing",
        verbose_name=_("listing"),
        on_delete=models.PROTECT,
        related_name="chat_threads",
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        related_name="chat_threads",
    )
    last_seq = models.PositiveIntegerField(_("last message number"), default=0)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    # The thread list's order (newest activity first): creation, then each message.
    last_activity_at = models.DateTimeField(_("last activity at"), default=timezone.now)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("chat thread")
        verbose_name_plural = _("chat threads")
        ordering = ("-last_activity_at",)
        constraints = (
            models.UniqueConstraint(fields=("listing", "buyer"), name="chat_thread_one_per_buyer"),
        )
        indexes = (
            models.Index(fields=("buyer", "-last_activity_at"), name="chat_thread_buyer_idx"),
            models.Index(fields=("listing", "-last_activity_at"), name="chat_thread_listing_idx"),
        )

    def __str__(self) -> str:
        return f"{self.buyer_id} about {self.listing_id}"


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    thread = models.ForeignKey(
        Thread, verbose_name=_("thread"), on_delete=models.PROTECT, related_name="messages"
    )
    seq = models.PositiveIntegerField(_("number"))
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    body = models.TextField(_("text"), max_length=BODY_MAX_LENGTH)
    # The app's id for the message: a retried send returns the first message, never a copy.
    client_id = models.CharField(_("client id"), max_length=CLIENT_ID_MAX_LENGTH)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ("thread", "seq")
        constraints = (
            models.UniqueConstraint(fields=("thread", "seq"), name="chat_message_seq_unique"),
            models.UniqueConstraint(
                fields=("thread", "sender", "client_id"), name="chat_message_client_id_unique"
            ),
            models.CheckConstraint(name="chat_message_seq_positive", condition=Q(seq__gt=0)),
        )

    def __str__(self) -> str:
        return f"#{self.seq} in {self.thread_id}"


class ReadState(models.Model):
    """How far one participant has read a thread; sending a message reads up to it."""

    id = models.BigAutoField(primary_key=True)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_seq = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("thread", "user"), name="chat_read_state_unique"),
        )

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id} to #{self.last_read_seq}"


class Block(models.Model):
    """One side of a thread has blocked the other: the other side can no longer send there.

    Held per side, not per person: when a seller blocks a buyer, the whole business has.
    """

    id = models.BigAutoField(primary_key=True)
    thread = models.ForeignKey(
        Thread, verbose_name=_("thread"), on_delete=models.CASCADE, related_name="blocks"
    )
    side = models.CharField(_("blocked by side"), max_length=8, choices=Side.choices)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("blocked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("chat block")
        verbose_name_plural = _("chat blocks")
        constraints = (
            models.UniqueConstraint(fields=("thread", "side"), name="chat_block_one_per_side"),
            models.CheckConstraint(name="chat_block_side_valid", condition=Q(side__in=Side.values)),
        )

    def __str__(self) -> str:
        return f"{self.side} blocked in {self.thread_id}"
