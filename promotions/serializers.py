from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from business.selectors import subscription_plans_on_sale
from core.fields import StrictCharField

from .models import Payment, PaymentStatus, Plan, Promotion, PromotionStatus
from .selectors import plans_on_sale


def absolute(request: Any, url: str) -> str:
    return str(request.build_absolute_uri(url)) if request is not None and url else url


class PlanSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = Plan
        fields = ("code", "name", "days", "price", "currency")
        read_only_fields = fields

    def get_name(self, plan: Plan) -> str:
        return plan.localized_name()


class PromotionCreateSerializer(serializers.Serializer):
    listing_id = serializers.UUIDField()
    plan = serializers.SlugRelatedField(
        slug_field="code",
        queryset=plans_on_sale(),
        error_messages={"does_not_exist": _("Unknown plan."), "invalid": _("Unknown plan.")},
    )


class CheckoutPaymentSerializer(serializers.ModelSerializer):
    """The payment as the app needs it to send the payer to checkout."""

    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    checkout_url = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ("id", "amount", "currency", "provider", "checkout_url", "expires_at")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_checkout_url(self, payment: Payment) -> str:
        return absolute(self.context.get("request"), payment.checkout_url)


class PromotionSerializer(serializers.ModelSerializer):
    listing_id = serializers.UUIDField()
    plan = StrictCharField(source="plan_id")
    status = serializers.ChoiceField(choices=PromotionStatus.choices)
    payment_id = serializers.UUIDField()

    class Meta:
        model = Promotion
        fields: tuple[str, ...] = (
            "id",
            "listing_id",
            "plan",
            "status",
            "starts_at",
            "ends_at",
            "payment_id",
            "created_at",
        )
        read_only_fields = fields


class PromotionCreatedSerializer(PromotionSerializer):
    payment = CheckoutPaymentSerializer()

    class Meta(PromotionSerializer.Meta):
        fields = (*PromotionSerializer.Meta.fields, "payment")
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    purpose = StrictCharField(help_text="What it pays for: `promotion` (or `subscription`).")

    class Meta:
        model = Payment
        fields = ("id", "status", "amount", "currency", "purpose", "created_at", "expires_at")
        read_only_fields = fields


class WebhookAckSerializer(serializers.Serializer):
    event_id = StrictCharField()
    duplicate = serializers.BooleanField(help_text="The event was seen before: nothing changed.")


class SubscriptionBuySerializer(serializers.Serializer):
    plan = serializers.SlugRelatedField(
        slug_field="code",
        queryset=subscription_plans_on_sale(),
        error_messages={"does_not_exist": _("Unknown plan."), "invalid": _("Unknown plan.")},
    )
