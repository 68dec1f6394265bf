"""What every API view module shares: the 204 answer and reading a validated body."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request

NO_CONTENT = OpenApiResponse(description="Done; nothing to return.")


def validated(
    serializer_class: type[serializers.Serializer], request: Request, *, partial: bool = False
) -> dict[str, Any]:
    """The request body checked by `serializer_class`; a 400 in the contract's shape if not."""
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
