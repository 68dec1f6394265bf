"""Input and output shapes of business accounts; no business logic."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api import BUSINESS_ROLES, PhoneInputField
from core.fields import StrictCharField

from . import hooks
from .models import Business, InvitationStatus, SubscriptionPlan, SubscriptionStatus


def logo_url(request: Any, business: Business) -> str | None:
    return str(request.build_absolute_uri(business.logo.url)) if business.logo else None


class NullablePhoneField(PhoneInputField):
    """A phone, or null / "" to clear it."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if data is None or data == "":
            return ""
        return super().run_validation(data)


class BusinessWriteSerializer(serializers.Serializer):
    name = StrictCharField(min_length=2, max_length=120)
    description = StrictCharField(max_length=5000, required=False, allow_blank=True)
    phone = NullablePhoneField(
        required=False,
        allow_null=True,
        help_text="The business's Kyrgyz mobile number; null or empty clears it.",
    )
    city = StrictCharField(min_length=1, max_length=100, required=False)


class SubscriptionSerializer(serializers.Serializer):
    plan = StrictCharField(
        source="subscription_plan_id", allow_null=True, help_text="Empty during the trial."
    )
    status = serializers.ChoiceField(
        source="subscription_status", choices=SubscriptionStatus.choices
    )
    current_period_end = serializers.DateTimeField(allow_null=True)


class BusinessSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()
    slug = StrictCharField()
    description = StrictCharField(allow_blank=True)
    logo_url = serializers.SerializerMethodField()
    phone = StrictCharField(allow_blank=True)
    city = StrictCharField(allow_blank=True)
    verified = serializers.BooleanField()
    active_listings_count = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    subscription = SubscriptionSerializer(
        source="*", required=False, help_text="Only for the business's members."
    )

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_logo_url(self, business: Business) -> str | None:
        return logo_url(self.context["request"], business)

    def get_active_listings_count(self, business: Business) -> int:
        return hooks.listings().active_count(business)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("member"):
            data.pop("subscription")
        return dict(data)


class LogoSerializer(serializers.Serializer):
    file = serializers.FileField(
        max_length=200, allow_empty_file=False, help_text="JPEG, PNG or WebP, up to 5 MB."
    )


class MemberSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    display_name = StrictCharField(source="user.display_name")
    role = serializers.ChoiceField(choices=BUSINESS_ROLES)
    joined_at = serializers.DateTimeField()


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=BUSINESS_ROLES)


class InvitationCreateSerializer(serializers.Serializer):
    phone = PhoneInputField()
    role = serializers.ChoiceField(choices=BUSINESS_ROLES)


class InvitationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    phone = StrictCharField()
    role = serializers.ChoiceField(choices=BUSINESS_ROLES)
    status = serializers.ChoiceField(choices=InvitationStatus.choices)
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class InvitingBusinessSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()
    logo_url = serializers.SerializerMethodField()
    verified = serializers.BooleanField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_logo_url(self, business: Business) -> str | None:
        return logo_url(self.context["request"], business)


class MyInvitationSerializer(InvitationSerializer):
    business = InvitingBusinessSerializer()


class SubscriptionPlanSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = SubscriptionPlan
        fields = ("code", "name", "months", "price", "currency")
        read_only_fields = fields

    def get_name(self, plan: SubscriptionPlan) -> str:
        return plan.localized_name()
