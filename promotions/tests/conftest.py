import importlib
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from listings.models import Listing
from listings.tests.conftest import (  # noqa: F401 - shared fixtures
    active_listing,
    author,
    client_for,
    create,
    dealer,
    dealer_admin,
    dealer_seller,
    moderator,
    stranger,
)
from promotions.models import Payment, Promotion
from promotions.providers.test import sign

WEBHOOK = "/api/v1/payments/webhook/test/"


@pytest.fixture
def plans() -> None:
    """The plans the data migration seeds (a transactional test's flush removes them).
    Use with the django_db mark, which opens the database first."""
    seeding = importlib.import_module("promotions.migrations.0002_seed_plans")
    seeding.seed(apps, None)


def buy(user: Any, listing: Listing, plan: str = "boost_7") -> Any:
    return client_for(user).post(
        "/api/v1/promotions/", {"listing_id": str(listing.pk), "plan": plan}, format="json"
    )


def bought(user: Any, listing: Listing, plan: str = "boost_7") -> Promotion:
    response = buy(user, listing, plan)
    assert response.status_code == 201, response.content
    return Promotion.objects.select_related("payment").get(pk=response.json()["id"])


def event_body(payment: Payment, status: str = "succeeded", **changes: Any) -> bytes:
    event = {
        "event_id": str(uuid.uuid4()),
        "payment_id": str(payment.pk),
        "status": status,
        "amount": str(payment.amount),
        "currency": payment.currency,
        **changes,
    }
    return json.dumps(event).encode()


def send(body: bytes, signature: str | None = "", *, client: Client | None = None) -> Any:
    """POST a callback to the test provider's webhook, signed correctly unless a signature
    is given (None: no header at all)."""
    headers = {} if signature is None else {"X-Signature": signature or sign(body)}
    return (client or Client()).post(
        WEBHOOK, data=body, content_type="application/json", headers=headers
    )


def pay(promotion: Promotion, status: str = "succeeded", **changes: Any) -> Any:
    response = send(event_body(promotion.payment, status, **changes))
    assert response.status_code == 200, response.content
    promotion.refresh_from_db()
    promotion.payment.refresh_from_db()
    return response


def paid(user: Any, listing: Listing, plan: str = "boost_7") -> Promotion:
    promotion = bought(user, listing, plan)
    pay(promotion)
    return promotion


def money(value: Any) -> Decimal:
    return Decimal(str(value))
