"""The built-in `test` provider: the contract's webhook shape, signed with a shared secret.

Its checkout page is served by the project itself when DEBUG is on
(`promotions.views.TestCheckoutView`); anyone holding `PAYMENTS_WEBHOOK_SECRET` can complete a
payment, so production refuses to enable it unless told to (see the settings).
"""

import hashlib
import hmac
import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .base import (
    Checkout,
    EventStatus,
    InvalidSignature,
    MalformedEvent,
    WebhookEvent,
    WebhookOutcome,
)

if TYPE_CHECKING:
    from promotions.models import Payment

SIGNATURE_HEADER = "X-Signature"
SIGNATURE_PREFIX = "sha256="
STATUSES = ("succeeded", "failed", "refunded")


def sign(body: bytes, secret: str | None = None) -> str:
    """The `X-Signature` value for `body`: `sha256=<hex HMAC-SHA256>`."""
    key = (secret if secret is not None else settings.PAYMENTS_WEBHOOK_SECRET or "").encode()
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature: str) -> None:
    """Raises InvalidSignature unless `signature` signs `body`; compared in constant time."""
    if not settings.PAYMENTS_WEBHOOK_SECRET or not hmac.compare_digest(
        sign(body).encode(), signature.encode()
    ):
        raise InvalidSignature


def parse_signed(body: bytes, signature: str) -> WebhookEvent:
    """Verify, then parse. Raises InvalidSignature or MalformedEvent."""
    verify(body, signature)
    return _parse(body)


def checkout_callback(payment: "Payment", status: EventStatus) -> bytes:
    """The body our checkout page sends for `payment` (as the provider's servers would)."""
    event = {
        "event_id": f"checkout-{uuid.uuid4()}",
        "payment_id": str(payment.pk),
        "status": status,
        "amount": str(payment.amount),
        "currency": payment.currency,
    }
    return json.dumps(event).encode()


def _parse(body: bytes) -> WebhookEvent:
    try:
        data: Any = json.loads(body)
        if not isinstance(data, dict) or data.get("status") not in STATUSES:
            raise MalformedEvent
        event_id = data["event_id"]
        if not isinstance(event_id, str | int) or not 0 < len(str(event_id)) <= 128:
            raise MalformedEvent
        amount = Decimal(str(data["amount"]))
        if not amount.is_finite():
            raise MalformedEvent
        currency = data["currency"]
        if not isinstance(currency, str):
            raise MalformedEvent
        return WebhookEvent(
            event_id=str(event_id),
            payment_id=uuid.UUID(str(data["payment_id"])),
            status=cast(EventStatus, data["status"]),
            amount=amount,
            currency=currency,
        )
    except (ValueError, KeyError, TypeError, InvalidOperation, RecursionError):
        raise MalformedEvent from None


class TestProvider:
    __test__ = False  # not a pytest test class, whatever its name

    code = "test"

    def create_checkout(self, *, payment: "Payment", description: str) -> Checkout:
        # A path: the API answers it as an absolute URL on the caller's host.
        return Checkout(checkout_url=reverse("payments-test-checkout", args=[payment.pk]))

    def parse_webhook(self, request: HttpRequest) -> WebhookEvent:
        # The raw body, before anything parses it.
        return parse_signed(request.body, request.headers.get(SIGNATURE_HEADER, ""))

    def webhook_response(
        self, request: HttpRequest, outcome: WebhookOutcome
    ) -> HttpResponse | None:
        return None
