"""Kyrgyz mobile numbers: parse what people write, store E.164."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

E164_KG = re.compile(r"^\+996[0-9]{9}$")
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
INVALID_PHONE_MESSAGE = _("Enter a Kyrgyz mobile number, e.g. +996 700 123 456.")


def normalize_phone(raw: object) -> str:
    """Return the E.164 form of a Kyrgyz mobile number, or raise ValidationError(invalid_phone).

    Accepts `+996 700 123 456`, `996700123456` and `0700 123 456`.
    """
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 32:
        raise ValidationError(INVALID_PHONE_MESSAGE, code="invalid_phone")
    text = raw.strip()
    if text.startswith("996"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, "KG")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(INVALID_PHONE_MESSAGE, code="invalid_phone") from exc
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if (
        not E164_KG.fullmatch(e164)
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise ValidationError(INVALID_PHONE_MESSAGE, code="invalid_phone")
    return e164
