"""Factories of the business models, for every app's tests.

They write the rows directly, as a fixture that only needs a business to exist does; a test of
creating a business goes through the API (business/tests/conftest.py `make_business`).
"""

import factory

from accounts.tests.factories import UserFactory
from business.models import Business, Membership


class BusinessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Business

    name = factory.Sequence(lambda n: f"Motors {n}")
    slug = factory.Sequence(lambda n: f"motors-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    """A member of a business: `MembershipFactory(business=dealer, role="admin").user`."""

    class Meta:
        model = Membership

    business = factory.SubFactory(BusinessFactory)
    user = factory.SubFactory(UserFactory)
    role = "seller"
