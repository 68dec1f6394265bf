"""Team and trial invariants under concurrent requests (PostgreSQL, real threads)."""

import pytest

from accounts.tests.factories import UserFactory
from business.models import Business, Membership
from business.tests.conftest import BUSINESS, client_for, join, make_business, url
from tests.helpers import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_demotions_of_the_last_two_admins_leave_one() -> None:
    first = UserFactory()
    business = make_business(first)
    second = join(business, "admin")
    admins = [first, second]

    # Each demotes themselves: both see two admins unless the business's row serialises them.
    statuses = run_concurrently(
        2,
        lambda i: (
            client_for(admins[i])
            .patch(url(business, f"members/{admins[i].pk}/"), {"role": "seller"}, format="json")
            .status_code
        ),
    )

    assert sorted(statuses) == [200, 409]
    assert Membership.objects.filter(business=business, role="admin").count() == 1


def test_concurrent_leaving_of_the_last_two_admins_leaves_one() -> None:
    first = UserFactory()
    business = make_business(first)
    second = join(business, "admin")
    admins = [first, second]

    statuses = run_concurrently(
        2,
        lambda i: (
            client_for(admins[i]).delete(url(business, f"members/{admins[i].pk}/")).status_code
        ),
    )

    assert sorted(statuses) == [204, 409]
    assert Membership.objects.filter(business=business, role="admin").count() == 1


def test_concurrent_account_deletions_of_the_last_two_admins_leave_one() -> None:
    first = UserFactory()
    business = make_business(first)
    admins = [first, join(business, "admin")]

    statuses = run_concurrently(
        2, lambda i: client_for(admins[i]).delete("/api/v1/me/").status_code
    )

    assert sorted(statuses) == [204, 409]
    assert Membership.objects.filter(business=business, role="admin").count() == 1


def test_one_user_creating_businesses_at_once_gets_one_trial() -> None:
    owner = UserFactory()

    statuses = run_concurrently(
        3,
        lambda i: (
            client_for(owner).post(BUSINESS, {"name": f"Dealer {i}"}, format="json").status_code
        ),
    )

    assert statuses == [201, 201, 201]
    assert sorted(Business.objects.values_list("subscription_status", flat=True)) == [
        "past_due",
        "past_due",
        "trial",
    ]
