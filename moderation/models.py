"""The moderation history of listings: AI pre-checks and human decisions, append-only."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from listings.models import Listing


class EventKind(models.TextChoices):
    AI_PRECHECK = "ai_precheck", _("AI pre-check")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    REPORTS_DISMISSED = "reports_dismissed", _("Reports dismissed")


class Verdict(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    NEEDS_REVIEW = "needs_review", _("Needs review")


class RejectReason(models.TextChoices):
    PROHIBITED_ITEM = "prohibited_item", _("Prohibited item")
    FRAUD_SUSPECTED = "fraud_suspected", _("Fraud suspected")
    BAD_MEDIA = "bad_media", _("Bad photos or video")
    WRONG_CATEGORY = "wrong_category", _("Wrong category")
    WRONG_PRICE = "wrong_price", _("Wrong price")
    CONTACT_IN_TEXT = "contact_in_text", _("Contacts in the text")
    DUPLICATE = "duplicate", _("Duplicate")
    OTHER = "other", _("Other")


class ModerationEvent(models.Model):
    """One step of a listing's moderation. Written once: on PostgreSQL a trigger refuses
    UPDATE and DELETE, as for the audit log."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.PROTECT, related_name="moderation_events"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the AI and automatic decisions."),
    )
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices, blank=True)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), null=True, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    reason_codes = models.JSONField(_("reason codes"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=16, blank=True)
    reason_code = models.CharField(
        _("reason"), max_length=24, choices=RejectReason.choices, blank=True
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation events")
        ordering = ("created_at",)
        indexes = (
            models.Index(fields=("listing", "kind", "-created_at"), name="modevent_latest_idx"),
        )
        constraints = (
            models.CheckConstraint(
                name="modevent_risk_in_range",
                condition=models.Q(risk_score__isnull=True) | models.Q(risk_score__lte=100),
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} on {self.listing_id}"


class ReviewItem(Listing):
    """A listing as the admin's review queue shows it: a proxy with its own permissions, so
    the Moderators group can decide ("change") without any right on listings themselves."""

    class Meta:
        proxy = True
        verbose_name = _("review queue item")
        verbose_name_plural = _("review queue")
        default_permissions = ("change", "view")
