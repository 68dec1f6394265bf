"""FreedomPay (formerly PayBox.money), the card acquirer of the Kyrgyz market: its payment page.

`create_checkout` registers the payment with init_payment.php and hands back the page FreedomPay
hosts for the payer. When the payer has paid or failed, FreedomPay calls our result URL (the
webhook) with the outcome and waits for a signed XML answer; until it gets one with HTTP 200 it
calls again every half hour for two hours. FreedomPay documents no refund callback for this
flow, so refunds are never parsed here (staff mark them in the admin).

Read through the search tool:
- FreedomPay's Merchant API for Kyrgyzstan, https://freedompay.kg/docs/merchant-api/pay
  (init_payment.php on api.freedompay.kg: request, XML answer, signature example), and the same
  API's reference pages https://docs.freedompay.kz/api-11620859 (create payment: field limits,
  pg_lifetime 300..604800 s) and https://docs.freedompay.kz/api-12007677 (result notify: the
  fields, pg_result, the merchant's ok / rejected / error answer, retries).
- The signature rule, https://freedompay.kz/docs-en/merchant-api/intro, and its PayBox-era text
  with a worked nested-XML example, https://paybox.money/us_en/dev/merchant-to-paybox.
- The reference code the rule comes from: PayBox/module-drupal-commerce (CommercePayboxSignature
  .php; commerce_payboxkz.module, its result URL handler and signed answer) and Platron/php-sdk
  (src/SigHelper.php, tests/unit/SigHelperTest.php), the helper PayBox took over.

Signature: md5 of, joined with ';', the called script's name (the URL path after its last '/',
so empty for a path ending in '/'), every field but pg_sig ordered by name (XML: nested tags
recursively; repeated names in message order), and the merchant's secret key; lowercase hex.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from promotions.providers.base import (
    Checkout,
    EventStatus,
    InvalidSignature,
    MalformedEvent,
    ProviderError,
    WebhookEvent,
    WebhookOutcome,
)

logger = logging.getLogger("promotions.freedompay")

INIT_PAYMENT_SCRIPT = "init_payment.php"
_LIFETIME_BOUNDS = (300, 604_800)  # seconds, as documented for pg_lifetime
_DESCRIPTION_MAX_LENGTH = 1024
_RESULTS: dict[str, EventStatus] = {"1": "succeeded", "0": "failed"}
# Outcomes after which a paid payment may be handed back to the payer (when FreedomPay allows
# it, pg_can_reject=1): nothing of ours is paid for.
_REJECTABLE = frozenset({"not_found", "amount_mismatch"})
# pg_description of our answer, by outcome; FreedomPay shows it to the payer when we reject,
# on its page that speaks Russian by default. These outcomes are final: a repeat of the call
# would end the same way.
_FINAL_ANSWERS = {
    "": "Уведомление принято",
    "not_found": "Заказ не найден",
    "amount_mismatch": "Сумма не совпадает с суммой заказа",
    "invalid_signature": "Неверная подпись",
    "invalid": "Некорректное уведомление",
}
_ANSWER_TRY_LATER = "Временная ошибка, повторите позже"


class _Payment(Protocol):
    """What this provider reads of a payment (`promotions.models.Payment`)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def amount(self) -> Decimal: ...

    @property
    def currency(self) -> str: ...

    @property
    def expires_at(self) -> datetime: ...


# --- The signature -------------------------------------------------------------------------


def script_name(url: str) -> str:
    """The script name a message to or from `url` is signed with."""
    return urlsplit(url).path.rpartition("/")[2]


def form_values(fields: Iterable[tuple[str, str]]) -> list[str]:
    """A flat message's values in signing order (a stable sort keeps repeated names in order)."""
    return [value for name, value in sorted(fields, key=lambda field: field[0]) if name != "pg_sig"]


def xml_values(element: ET.Element) -> list[str]:
    """An XML message's values in signing order: by tag, nested tags recursively."""
    values: list[str] = []
    for child in sorted(element, key=lambda child: child.tag):
        if child.tag == "pg_sig":
            continue
        if len(child):
            values.extend(xml_values(child))
        else:
            values.append(child.text or "")
    return values


def sign(script: str, values: Iterable[str], secret_key: str) -> str:
    text = ";".join([script, *values, secret_key])
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - FreedomPay's protocol fixes MD5


def _signature_matches(expected: str, given: str) -> bool:
    # As bytes: compare_digest refuses non-ASCII str, and `given` comes from outside.
    return hmac.compare_digest(expected.encode(), given.encode())


# --- Configuration and transport ------------------------------------------------------------


@dataclass(frozen=True)
class _Config:
    merchant_id: str
    secret_key: str
    result_url: str


def _config() -> _Config:
    # Read per call, so tests can switch settings.
    merchant_id = settings.FREEDOMPAY_MERCHANT_ID
    secret_key = settings.FREEDOMPAY_SECRET_KEY
    result_url = settings.FREEDOMPAY_RESULT_URL
    if not (merchant_id and secret_key and result_url):
        raise ImproperlyConfigured(
            "The freedompay payment provider needs FREEDOMPAY_MERCHANT_ID, "
            "FREEDOMPAY_SECRET_KEY and FREEDOMPAY_RESULT_URL."
        )
    return _Config(merchant_id, secret_key, result_url)


def _http_session() -> requests.Session:
    # A seam: tests mount a fake transport on the session instead of reaching the network.
    return requests.Session()


def _post(script: str, fields: dict[str, str]) -> ET.Element:
    url = f"{settings.FREEDOMPAY_API_URL.rstrip('/')}/{script}"
    try:
        with _http_session() as session:
            response = session.post(url, data=fields, timeout=settings.FREEDOMPAY_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise ProviderError(f"FreedomPay unreachable: {exc.__class__.__name__}") from exc
    if response.status_code != 200:
        raise ProviderError(f"FreedomPay answered HTTP {response.status_code}")
    try:
        # ElementTree rather than defusedxml (not installed): the answer comes from FreedomPay
        # over TLS, and the bundled expat (>= 2.4.1) refuses entity-expansion bombs.
        return ET.fromstring(response.content)  # noqa: S314
    except ET.ParseError as exc:
        raise ProviderError("FreedomPay's answer is not XML") from exc


def _lifetime(expires_at: datetime) -> int:
    """pg_lifetime: the seconds until the payment expires, within FreedomPay's bounds."""
    seconds = math.ceil((expires_at - timezone.now()).total_seconds())
    low, high = _LIFETIME_BOUNDS
    return min(max(seconds, low), high)


def _callback_fields(request: HttpRequest) -> list[tuple[str, str]]:
    # FreedomPay sends the result form-encoded or as multipart (pg_request_method=POST, which
    # we ask for), or in the query string when the merchant's settings say GET.
    query = request.POST if request.method == "POST" else request.GET
    return [(name, value) for name, values in query.lists() for value in values]


def _single(fields: list[tuple[str, str]], name: str) -> str:
    values = [value for field, value in fields if field == name]
    if len(values) != 1:
        raise MalformedEvent(f"The callback has {len(values)} values of {name}.")
    return values[0]


# --- The provider --------------------------------------------------------------------------


class FreedomPayProvider:
    code = "freedompay"

    def create_checkout(self, *, payment: _Payment, description: str) -> Checkout:
        config = _config()
        fields = {
            "pg_merchant_id": config.merchant_id,
            "pg_order_id": str(payment.id),
            "pg_amount": f"{payment.amount:.2f}",
            "pg_currency": payment.currency,
            "pg_description": description[:_DESCRIPTION_MAX_LENGTH],
            "pg_lifetime": str(_lifetime(payment.expires_at)),
            "pg_result_url": config.result_url,
            "pg_request_method": "POST",
            "pg_testing_mode": "1" if settings.FREEDOMPAY_TESTING_MODE else "0",
            "pg_salt": secrets.token_hex(8),
        }
        # Where the payer lands afterwards; unset, the merchant cabinet's URLs apply.
        if settings.FREEDOMPAY_SUCCESS_URL:
            fields["pg_success_url"] = settings.FREEDOMPAY_SUCCESS_URL
        if settings.FREEDOMPAY_FAILURE_URL:
            fields["pg_failure_url"] = settings.FREEDOMPAY_FAILURE_URL
        fields["pg_sig"] = sign(INIT_PAYMENT_SCRIPT, form_values(fields.items()), config.secret_key)

        answer = _post(INIT_PAYMENT_SCRIPT, fields)
        if answer.findtext("pg_status") != "ok":
            # Refusals may come unsigned (when FreedomPay cannot tell the merchant), and
            # believing one costs nothing: no payment starts.
            raise ProviderError(
                "FreedomPay refused the payment: "
                f"{answer.findtext('pg_error_code')} {answer.findtext('pg_error_description')}"
            )
        expected = sign(INIT_PAYMENT_SCRIPT, xml_values(answer), config.secret_key)
        if not _signature_matches(expected, answer.findtext("pg_sig") or ""):
            raise ProviderError("FreedomPay's answer to init_payment has a bad signature")
        provider_reference = (answer.findtext("pg_payment_id") or "").strip()
        checkout_url = (answer.findtext("pg_redirect_url") or "").strip()
        if not (provider_reference and checkout_url):
            raise ProviderError("FreedomPay's answer lacks pg_payment_id or pg_redirect_url")
        logger.info(
            "FreedomPay payment %s registered for payment %s", provider_reference, payment.id
        )
        return Checkout(checkout_url=checkout_url, provider_reference=provider_reference)

    def parse_webhook(self, request: HttpRequest) -> WebhookEvent:
        """Verify and translate FreedomPay's call of our result URL.

        The signature covers the decoded fields, not the raw bytes, so the form is decoded
        first; nothing of it is read before the signature matches.
        """
        config = _config()
        fields = _callback_fields(request)
        signatures = [value for name, value in fields if name == "pg_sig"]
        if len(signatures) != 1:
            raise InvalidSignature("The callback carries no single pg_sig.")
        expected = sign(script_name(config.result_url), form_values(fields), config.secret_key)
        if not _signature_matches(expected, signatures[0]):
            raise InvalidSignature("The callback's pg_sig does not match.")

        provider_reference = _single(fields, "pg_payment_id")
        result = _single(fields, "pg_result")
        if result not in _RESULTS:
            raise MalformedEvent(f"Unknown pg_result {result!r}.")
        status = _RESULTS[result]
        try:
            payment_id = uuid.UUID(_single(fields, "pg_order_id"))
            amount = Decimal(_single(fields, "pg_amount"))
        except (ValueError, InvalidOperation) as exc:
            raise MalformedEvent("pg_order_id or pg_amount is malformed.") from exc
        if not amount.is_finite():
            raise MalformedEvent("pg_amount is not a number.")
        return WebhookEvent(
            # The same for every delivery of one outcome, whatever its salt: FreedomPay calls
            # again until it is answered.
            event_id=f"freedompay:{provider_reference}:{status}",
            payment_id=payment_id,
            status=status,
            amount=amount,
            currency=_single(fields, "pg_currency"),
            provider_reference=provider_reference,
        )

    def webhook_response(self, request: HttpRequest, outcome: WebhookOutcome) -> HttpResponse:
        """The signed XML answer FreedomPay expects from the result URL.

        HTTP 200 for a final outcome; FreedomPay calls again, every half hour for two hours,
        after any other status, which only an outcome this provider does not know asks for.
        """
        config = _config()
        # Only a verified callback's fields are believed.
        fields = _callback_fields(request) if outcome.code != "invalid_signature" else []
        if outcome.code == "":
            status = "ok"
        elif (
            outcome.code in _REJECTABLE
            and outcome.event is not None
            and outcome.event.status == "succeeded"
            and ("pg_can_reject", "1") in fields
        ):
            status = "rejected"  # FreedomPay gives the payer the money back
        else:
            status = "error"
        salt = next((value for name, value in fields if name == "pg_salt"), "")
        # The reference handlers echo the callback's salt. Only one in the documented alphabet
        # (digits and Latin letters) is echoed: one holding ';' would make us sign a string of
        # the caller's choosing, which could pass for a callback.
        if not (salt.isascii() and salt.isalnum()):
            salt = secrets.token_hex(8)

        root = ET.Element("response")
        ET.SubElement(root, "pg_status").text = status
        ET.SubElement(root, "pg_description").text = _FINAL_ANSWERS.get(
            outcome.code, _ANSWER_TRY_LATER
        )
        ET.SubElement(root, "pg_salt").text = salt
        ET.SubElement(root, "pg_sig").text = sign(
            script_name(config.result_url), xml_values(root), config.secret_key
        )
        body = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode")
        return HttpResponse(
            body.encode(),
            content_type="application/xml; charset=utf-8",
            status=200 if outcome.code in _FINAL_ANSWERS else 503,
        )
