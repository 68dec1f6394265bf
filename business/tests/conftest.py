"""Shared fixtures of the business tests: a business made through the API with its admin,
a seller, and an outsider (Healthchecks' alice, bob and charlie)."""

import importlib
from typing import Any

import pytest
from django.apps import apps

from accounts import push
from accounts.tests.factories import UserFactory
from business.models import Business
from business.tests.factories import MembershipFactory
from tests.helpers import client_for

BUSINESS = "/api/v1/business/"


def url(business: Any, tail: str = "") -> str:
    return f"{BUSINESS}{business.pk}/{tail}"


def make_business(owner: Any, **data: Any) -> Business:
    response = client_for(owner).post(BUSINESS, {"name": "Bishkek Motors", **data}, format="json")
    assert response.status_code == 201, response.content
    return Business.objects.get(pk=response.json()["id"])


def join(business: Business, role: str = "seller", user: Any = None) -> Any:
    return MembershipFactory(business=business, role=role, user=user or UserFactory()).user


@pytest.fixture(autouse=True)
def pushed() -> Any:
    push.outbox.clear()
    yield push.outbox
    push.outbox.clear()


@pytest.fixture
def subscription_plans() -> None:
    """The plans the data migration seeds (a transactional test's flush removes them)."""
    importlib.import_module("business.migrations.0003_seed_plans").seed(apps, None)


@pytest.fixture
def owner() -> Any:
    return UserFactory(display_name="Erlan")


@pytest.fixture
def business(owner: Any) -> Business:
    return make_business(owner)


@pytest.fixture
def seller(business: Business) -> Any:
    return join(business, "seller")


@pytest.fixture
def outsider() -> Any:
    return UserFactory()


@pytest.fixture
def other_business() -> Business:
    return make_business(UserFactory(), name="Osh Realty")
