"""The 5-listing quota holds under concurrent creates (PostgreSQL, real threads)."""

import pytest

from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.tests.conftest import create
from tests.helpers import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_ten_simultaneous_creates_by_one_user_end_with_exactly_five() -> None:
    author = UserFactory()

    statuses = run_concurrently(10, lambda _i: create(author).status_code)

    assert sorted(statuses) == [201] * 5 + [403] * 5
    assert Listing.objects.filter(author=author).count() == 5


def test_the_same_offline_draft_sent_at_once_is_created_once() -> None:
    author = UserFactory()

    responses = run_concurrently(4, lambda _i: create(author, client_id="draft-42"))

    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Listing.objects.filter(author=author).count() == 1
