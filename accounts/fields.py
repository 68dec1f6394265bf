from typing import Any

from django.db import models

from .phone import normalize_phone


class PhoneField(models.CharField):
    """Stores a Kyrgyz mobile number in E.164; `clean()` accepts the forms people write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 16)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 16:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def get_prep_value(self, value: Any) -> Any:
        # CharField would run to_python here, on every save and lookup. Values are normalised
        # where they enter (services, forms); a deleted account's tombstone is no phone at all.
        value = models.Field.get_prep_value(self, value)
        return value if value is None else str(value)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return normalize_phone(value)
