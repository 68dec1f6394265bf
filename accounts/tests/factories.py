"""Factories of the accounts models, for every app's tests."""

import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("phone",)

    phone = factory.Sequence(lambda n: f"+996700{n:06d}")
    display_name = factory.Faker("name")
