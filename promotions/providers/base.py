"""What the payments code asks of a payment provider; one module per provider implements it.

The webhook view finds the provider by the `{provider}` path segment, lets it verify and
translate the provider's callback into one `WebhookEvent` (the contract's `test` shape), applies
the event, and lets the provider word the answer the way its servers expect it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from promotions.models import Payment

EventStatus = Literal["succeeded", "failed", "refunded"]


class InvalidSignature(Exception):
    """The callback's signature is missing or does not match: nothing may be recorded."""


class MalformedEvent(Exception):
    """The callback was signed correctly but does not carry what an event needs."""


class ProviderError(Exception):
    """The provider refused to start a payment or could not be reached."""


@dataclass(frozen=True)
class Checkout:
    """Where to send the payer, and the provider's own id for the payment (if it gives one)."""

    checkout_url: str
    provider_reference: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    payment_id: uuid.UUID
    status: EventStatus
    amount: Decimal
    currency: str
    provider_reference: str = ""


@dataclass(frozen=True)
class WebhookOutcome:
    """What applying an event came to, for the provider to word its answer.

    `code` is "" when the event was applied or was a repeat, else the contract's error code
    (`invalid_signature`, `not_found`, `amount_mismatch`, `invalid`).
    """

    event: WebhookEvent | None
    code: str = ""


class PaymentProvider(Protocol):
    code: str

    def create_checkout(self, *, payment: Payment, description: str) -> Checkout:
        """Register `payment` with the provider. Raises ProviderError."""
        ...

    def parse_webhook(self, request: HttpRequest) -> WebhookEvent:
        """Verify the callback over its raw body (constant time) before parsing it.

        Raises InvalidSignature or MalformedEvent.
        """
        ...

    def webhook_response(
        self, request: HttpRequest, outcome: WebhookOutcome
    ) -> HttpResponse | None:
        """The answer the provider expects, or None for the contract's JSON answer."""
        ...
