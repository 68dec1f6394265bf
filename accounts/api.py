"""What the API of any app takes from accounts: the caller typed as this project's user, the
phone input field, and the business roles a profile shows (accounts cannot import business)."""

from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.request import Request

from .models import User
from .phone import INVALID_PHONE_MESSAGE, normalize_phone

BUSINESS_ROLES = (("admin", "admin"), ("seller", "seller"))


def request_user(request: Request | HttpRequest) -> User:
    """The signed-in caller. Only for views whose permission (the API's default,
    IsAuthenticated) or site (the admin) has already refused anonymous callers."""
    return cast(User, request.user)


@extend_schema_field(
    {"type": "string", "example": "+996 700 123 456", "description": "A Kyrgyz mobile number."}
)
class PhoneInputField(serializers.Field):
    """A phone as people write it, normalised to E.164; anything else is `invalid_phone`."""

    default_error_messages = {"invalid_phone": INVALID_PHONE_MESSAGE}

    def run_validation(self, data: Any = empty) -> Any:
        if data is empty:
            return super().run_validation(data)  # "required"
        return self.to_internal_value(data)

    def to_internal_value(self, data: Any) -> str:
        try:
            return normalize_phone(data)
        except DjangoValidationError:
            self.fail("invalid_phone")
            raise  # unreachable: fail() raises

    def to_representation(self, value: Any) -> str:
        return str(value)
