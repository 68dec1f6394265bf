"""Business accounts (dealers, agencies) and their teams.

The listings issue needs them for authorization; the business issue builds the API,
invitations and subscriptions on top.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Business(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True, allow_unicode=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    verified = models.BooleanField(_("verified"), default=False)
    subscription_status = models.CharField(
        _("subscription status"),
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.TRIAL,
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

    def __str__(self) -> str:
        return self.name

    @property
    def is_uncapped(self) -> bool:
        return self.subscription_status in UNCAPPED_STATUSES


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
        )

    def __str__(self) -> str:
        return f"{self.user_id} is {self.role} of {self.business_id}"
