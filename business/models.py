"""Business accounts (dealers, agencies): their teams, invitations and subscriptions.

The subscription is kept on the business row: `listings` reads `subscription_status` under
that row's lock when it counts a business's listings against the free limit.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.offers import Offer


class SubscriptionStatus(models.TextChoices):
    TRIAL = "trial", _("Trial")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Past due")
    CANCELED = "canceled", _("Canceled")


# While a business pays (or tries us out), its listings have no count limit.
UNCAPPED_STATUSES = (SubscriptionStatus.TRIAL, SubscriptionStatus.ACTIVE)


class MemberRole(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SELLER = "seller", _("Seller")


def logo_upload_to(instance: "Business", filename: str) -> str:
    # Unguessable and free of the uploader's file name; always re-encoded to WebP.
    return f"logos/{uuid.uuid4().hex}.webp"


class SubscriptionPlan(Offer):
    """A subscription offer. Data, not code: staff edit prices and names in the admin."""

    months = models.PositiveSmallIntegerField(_("months"))

    class Meta:
        verbose_name = _("subscription plan")
        verbose_name_plural = _("subscription plans")
        ordering = ("position", "months")
        constraints = (
            models.CheckConstraint(
                name="subscription_plan_months_positive", condition=Q(months__gt=0)
            ),
            models.CheckConstraint(
                name="subscription_plan_price_positive", condition=Q(price__gt=0)
            ),
        )


class Business(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    logo = models.FileField(_("logo"), upload_to=logo_upload_to, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    verified = models.BooleanField(_("verified"), default=False)
    subscription_status = models.CharField(
        _("subscription status"),
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.TRIAL,
    )
    subscription_plan = models.ForeignKey(
        SubscriptionPlan,
        verbose_name=_("subscription plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The plan last paid for; empty during the trial."),
    )
    current_period_end = models.DateTimeField(_("current period end"), null=True, blank=True)
    # When the subscription lapsed: the grace period before `canceled` runs from here.
    past_due_since = models.DateTimeField(_("past due since"), null=True, blank=True)
    # The user whose one free trial this business took (unique: one trial per user).
    trial_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trial taken by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Whose personal quota the listings of a business that has never paid count against.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="businesses"
    )

    class Meta:
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        ordering = ("name",)
        constraints = (
            models.UniqueConstraint(fields=("trial_user",), name="business_one_trial_per_user"),
            models.CheckConstraint(
                name="business_subscription_status_valid",
                condition=Q(subscription_status__in=SubscriptionStatus.values),
            ),
            models.CheckConstraint(
                name="business_past_due_has_since",
                condition=~Q(subscription_status="past_due") | Q(past_due_since__isnull=False),
            ),
        )
        indexes = (
            # The lapse sweep: subscriptions whose period or grace ran out.
            models.Index(
                fields=("current_period_end",),
                name="business_running_period_idx",
                condition=Q(subscription_status__in=("trial", "active")),
            ),
            models.Index(
                fields=("past_due_since",),
                name="business_past_due_idx",
                condition=Q(subscription_status="past_due"),
            ),
        )

    def __str__(self) -> str:
        return self.name

    @property
    def is_uncapped(self) -> bool:
        return self.subscription_status in UNCAPPED_STATUSES

    @property
    def is_unfunded(self) -> bool:
        """Never paid and out of its trial: its listings share its creator's personal quota."""
        return not self.is_uncapped and self.subscription_plan_id is None


class Membership(models.Model):
    id = models.BigAutoField(primary_key=True)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=8, choices=MemberRole.choices)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = (
            models.UniqueConstraint(fields=("business", "user"), name="membership_unique_pair"),
            models.CheckConstraint(
                name="membership_role_valid", condition=Q(role__in=MemberRole.values)
            ),
        )

    def __str__(self) -> str:
        return f"{self.user_id} is {self.role} of {self.business_id}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")


class Invitation(models.Model):
    """An invitation to join a business, addressed to a phone whether or not it has an
    account yet: whoever logs in with that phone sees it until it expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="invitations")
    phone = models.CharField(_("phone"), max_length=16)
    role = models.CharField(_("role"), max_length=8, choices=MemberRole.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ("-created_at",)
        constraints = (
            # A new invitation to the same phone replaces the pending one.
            models.UniqueConstraint(
                fields=("business", "phone"),
                condition=Q(status="pending"),
                name="invitation_one_pending_per_phone",
            ),
            models.CheckConstraint(
                name="invitation_status_valid", condition=Q(status__in=InvitationStatus.values)
            ),
            models.CheckConstraint(
                name="invitation_role_valid", condition=Q(role__in=MemberRole.values)
            ),
        )
        indexes = (
            models.Index(
                fields=("phone", "expires_at"),
                name="invitation_pending_phone_idx",
                condition=Q(status="pending"),
            ),
        )

    def __str__(self) -> str:
        return f"{self.phone} as {self.role} of {self.business_id} ({self.status})"


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending payment")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")
    REFUNDED = "refunded", _("Refunded")


class SubscriptionOrder(models.Model):
    """One purchase of a subscription plan, paid by a payment of the `promotions` app.

    The payment is referred to by its id, not a foreign key: `business` sits below
    `promotions` and its models and migrations must not depend on it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    business = models.ForeignKey(
        Business, on_delete=models.PROTECT, related_name="subscription_orders"
    )
    plan = models.ForeignKey(SubscriptionPlan, on_delete=models.PROTECT, related_name="orders")
    # The plan's months when bought: staff may edit the plan before the payment arrives.
    months = models.PositiveSmallIntegerField(_("months"))
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    payment_id = models.UUIDField(_("payment"), unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    # The paid period this order added to the subscription.
    period_start = models.DateTimeField(_("period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("period end"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subscription order")
        verbose_name_plural = _("subscription orders")
        ordering = ("-created_at",)
        constraints = (
            models.CheckConstraint(
                name="subscription_order_status_valid",
                condition=Q(status__in=OrderStatus.values),
            ),
            models.CheckConstraint(
                name="subscription_order_period_when_paid",
                condition=~Q(status__in=("paid", "refunded"))
                | Q(period_start__isnull=False, period_end__gt=models.F("period_start")),
            ),
        )

    def __str__(self) -> str:
        return f"{self.plan_id} for {self.business_id} ({self.status})"
