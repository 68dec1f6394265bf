from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import StrictCharField
from listings.api import ListingDetailSerializer
from listings.models import Listing

from .models import RejectReason


class AiVerdictSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=("approve", "reject", "needs_review"))
    risk_score = serializers.IntegerField(min_value=0, max_value=100)
    reasons = serializers.ListField(child=StrictCharField())
    reason_codes = serializers.ListField(child=StrictCharField())
    source = serializers.ChoiceField(choices=("anthropic", "rules"))  # type: ignore[assignment]
    created_at = serializers.DateTimeField()


class QueueItemSerializer(serializers.Serializer):
    listing = serializers.SerializerMethodField()
    ai_verdict = serializers.SerializerMethodField()
    reports_count = serializers.IntegerField()
    waiting_since = serializers.DateTimeField()

    @extend_schema_field(ListingDetailSerializer)
    def get_listing(self, listing: Listing) -> dict[str, Any]:
        context = {**self.context, "show_rejection": True}
        return dict(ListingDetailSerializer(listing, context=context).data)

    @extend_schema_field(AiVerdictSerializer(allow_null=True))
    def get_ai_verdict(self, listing: Listing) -> dict[str, Any] | None:
        event = self.context["prechecks"].get(listing.pk)
        return dict(AiVerdictSerializer(event).data) if event is not None else None


class RejectSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=RejectReason.choices)
    note = StrictCharField(max_length=2000, required=False, allow_blank=True)


class DismissSerializer(serializers.Serializer):
    note = StrictCharField(max_length=2000, required=False, allow_blank=True)


class HistoryItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=(
            "submitted",
            "resubmitted",
            "report",
            "ai_precheck",
            "approved",
            "rejected",
            "reports_dismissed",
        )
    )
    created_at = serializers.DateTimeField()
    actor_id = serializers.UUIDField(allow_null=True)
    verdict = StrictCharField(allow_null=True)
    risk_score = serializers.IntegerField(allow_null=True)
    reasons = serializers.ListField(child=StrictCharField(), allow_null=True)
    reason_codes = serializers.ListField(child=StrictCharField(), allow_null=True)
    source = StrictCharField(allow_null=True)  # type: ignore[assignment]
    reason_code = StrictCharField(allow_null=True)
    note = StrictCharField(allow_null=True)
