"""The payment figures on /metrics: active promotions, payments by status, revenue."""

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from .conftest import active_listing, bought, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plans")]


def sample(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_promotion_and_payment_figures(
    author: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    revenue = 'marketplace_payments_revenue_total{currency="KGS"}'
    before = client.get("/metrics").content.decode()
    first = bought(author, active_listing(author))
    second = bought(author, active_listing(author))

    with django_capture_on_commit_callbacks(execute=True):
        pay(first)
    cache.clear()
    after = client.get("/metrics").content.decode()

    assert sample(after, "marketplace_promotions_active") == 1
    assert sample(after, "marketplace_payments", '{status="succeeded"}') == 1
    assert sample(after, "marketplace_payments", '{status="pending"}') == 1
    assert sample(after, "marketplace_payments", '{status="refunded"}') == 0
    assert sample(after, revenue) == sample(before, revenue) + 400
    assert second.payment.status == "pending"
