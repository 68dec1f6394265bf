from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import StrictCharField

from . import hooks
from .api import BUSINESS_ROLES, PhoneInputField
from .models import ConsentKind, DevicePlatform, Language, Role, User
from .selectors import consent_is_required


class LegalDocumentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    version = StrictCharField()
    title = StrictCharField()
    url = serializers.URLField()
    is_required = serializers.BooleanField(source="required")


class ListingQuotaSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField()


class BusinessRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()
    role = serializers.ChoiceField(choices=BUSINESS_ROLES)


class ProfileSerializer(serializers.ModelSerializer):
    avatar_url = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    consent_required = serializers.SerializerMethodField()
    listing_quota = serializers.SerializerMethodField()
    businesses = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields: tuple[str, ...] = (
            "id",
            "phone",
            "display_name",
            "avatar_url",
            "role",
            "city",
            "language",
            "created_at",
            "consent_required",
            "listing_quota",
            "businesses",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar_url(self, user: User) -> str | None:
        if not user.avatar:
            return None
        return str(self.context["request"].build_absolute_uri(user.avatar.url))

    def get_consent_required(self, user: User) -> bool:
        return consent_is_required(user=user)

    @extend_schema_field(ListingQuotaSerializer)
    def get_listing_quota(self, user: User) -> dict[str, int]:
        return hooks.listing_quota(user)

    @extend_schema_field(BusinessRefSerializer(many=True))
    def get_businesses(self, user: User) -> list[dict[str, Any]]:
        return BusinessRefSerializer(hooks.businesses(user), many=True).data  # type: ignore[return-value]


class ProfileUpdateSerializer(serializers.Serializer):
    display_name = StrictCharField(min_length=1, max_length=100, required=False)
    city = StrictCharField(min_length=1, max_length=100, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)


class PhoneSerializer(serializers.Serializer):
    phone = PhoneInputField()


class DeviceIdField(serializers.RegexField):
    """The app install's own random id, kept in its secure storage: with it, a login code
    can be asked for even when strangers have used up the phone's limit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(r"^[A-Za-z0-9_-]{16,128}$", max_length=128, required=False, **kwargs)


class OtpRequestSerializer(PhoneSerializer):
    device_id = DeviceIdField()


class CodeSentSerializer(serializers.Serializer):
    expires_in = serializers.IntegerField()
    resend_in = serializers.IntegerField()


class ConsentInputSerializer(serializers.Serializer):
    offer_agreement = serializers.BooleanField()
    personal_data_processing = serializers.BooleanField()
    marketing_communications = serializers.BooleanField(required=False)


class OtpVerifySerializer(PhoneSerializer):
    code = StrictCharField(max_length=12)
    consent = ConsentInputSerializer(required=False)
    device_id = DeviceIdField()


class PhoneVerifySerializer(PhoneSerializer):
    code = StrictCharField(max_length=12)


class TokenPairSerializer(serializers.Serializer):
    access = StrictCharField()
    refresh = StrictCharField()


class LoginSerializer(TokenPairSerializer):
    is_new_user = serializers.BooleanField()
    user = ProfileSerializer()


class RefreshSerializer(serializers.Serializer):
    refresh = StrictCharField(max_length=2000)


class ProfileWithTokensSerializer(ProfileSerializer):
    """The profile after a phone change, with a fresh token pair (the old ones stop working)."""

    access = serializers.SerializerMethodField()
    refresh = serializers.SerializerMethodField()

    class Meta(ProfileSerializer.Meta):
        fields: tuple[str, ...] = (*ProfileSerializer.Meta.fields, "access", "refresh")
        read_only_fields = fields

    def get_access(self, user: User) -> str:
        return str(self.context["tokens"]["access"])

    def get_refresh(self, user: User) -> str:
        return str(self.context["tokens"]["refresh"])


class ConsentStateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    accepted = serializers.BooleanField()
    version = StrictCharField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)


class ConsentDecisionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    accepted = serializers.BooleanField()


class DeviceSerializer(serializers.Serializer):
    expo_push_token = serializers.RegexField(
        r"^ExponentPushToken\[[A-Za-z0-9_-]{8,100}\]$", max_length=200
    )
    platform = serializers.ChoiceField(choices=DevicePlatform.choices)


class DeviceDeleteSerializer(serializers.Serializer):
    expo_push_token = StrictCharField(max_length=200)


class AvatarSerializer(serializers.Serializer):
    file = serializers.FileField(max_length=200, allow_empty_file=False)
