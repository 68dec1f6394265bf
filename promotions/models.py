"""Paid boosts and the payments behind them.

A payment is the project's one payment record: a promotion today, a business subscription
later (its `purpose`, handled by the registry in `promotions.purposes`). Money rows are never
deleted: foreign keys to them protect.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.offers import Offer


class Plan(Offer):
    """A boost offer. Data, not code: staff edit prices and names in the admin."""

    days = models.PositiveSmallIntegerField(_("days"))

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ("position", "days")
        constraints = (
            models.CheckConstraint(name="plan_days_positive", condition=Q(days__gt=0)),
            models.CheckConstraint(name="plan_price_positive", condition=Q(price__gt=0)),
        )


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")
    REFUNDED = "refunded", _("Refunded")


class Payment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    # A code of the purpose registry ("promotion", later "subscription"); no choices, so a
    # new purpose needs no migration here.
    purpose = models.CharField(_("purpose"), max_length=32)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    provider = models.CharField(_("provider"), max_length=32)
    provider_reference = models.CharField(_("provider reference"), max_length=128, blank=True)
    # Where the payer pays: absolute, or a path on our own host (the `test` provider).
    checkout_url = models.CharField(_("checkout URL"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    expires_at = models.DateTimeField(_("expires at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ("-created_at",)
        constraints = (
            models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="payment_status_valid", condition=Q(status__in=PaymentStatus.values)
            ),
            models.CheckConstraint(
                name="payment_paid_when_succeeded",
                condition=~Q(status__in=("succeeded", "refunded")) | Q(paid_at__isnull=False),
            ),
            models.UniqueConstraint(
                fields=("provider", "provider_reference"),
                condition=~Q(provider_reference=""),
                name="payment_unique_provider_reference",
            ),
        )
        indexes = (
            models.Index(fields=("payer", "created_at"), name="payment_payer_idx"),
            # The unpaid-expiry sweep.
            models.Index(
                fields=("expires_at",), name="payment_pending_idx", condition=Q(status="pending")
            ),
        )

    def __str__(self) -> str:
        return f"{self.purpose} {self.amount} {self.currency} ({self.status})"


class PaymentEvent(models.Model):
    """A provider's callback, recorded once: the unique pair makes a replay a no-op."""

    id = models.BigAutoField(primary_key=True)
    provider = models.CharField(_("provider"), max_length=32)
    event_id = models.CharField(_("event id"), max_length=128)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(_("status"), max_length=16)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    # False when the event changed nothing (a late `failed` after `succeeded`, ...).
    applied = models.BooleanField(_("applied"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ("received_at",)
        constraints = (
            models.UniqueConstraint(
                fields=("provider", "event_id"), name="payment_event_once_per_provider"
            ),
        )

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}: {self.status}"


class PromotionStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    CANCELED = "canceled", _("Canceled")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")


class Promotion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.PROTECT, related_name="promotions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="promotions"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="promotions")
    # The plan's days when bought: staff may edit the plan before the payment arrives.
    days = models.PositiveSmallIntegerField(_("days"))
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="promotion")
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PromotionStatus.choices,
        default=PromotionStatus.PENDING_PAYMENT,
    )
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ("-created_at",)
        constraints = (
            models.CheckConstraint(
                name="promotion_status_valid", condition=Q(status__in=PromotionStatus.values)
            ),
            models.CheckConstraint(
                name="promotion_period_when_paid",
                condition=Q(status__in=("pending_payment", "canceled", "failed"))
                | Q(starts_at__isnull=False, ends_at__gt=F("starts_at")),
            ),
        )
        indexes = (
            models.Index(fields=("user", "created_at"), name="promotion_user_idx"),
            models.Index(fields=("listing", "status"), name="promotion_listing_status_idx"),
            # The expiry sweep.
            models.Index(
                fields=("ends_at",), name="promotion_active_ends_idx", condition=Q(status="active")
            ),
        )

    def __str__(self) -> str:
        return f"{self.plan_id} for {self.listing_id} ({self.status})"
