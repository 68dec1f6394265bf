"""Serializer fields with the contract's stricter rules."""

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """Text only. DRF's CharField turns 0 into "0"; the contract says a wrong type is a
    validation error (400), and a number where a name belongs is one."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))
