"""Deleting an account: the last admin of a business cannot; anyone else leaves their teams."""

from typing import Any

import pytest

from accounts.models import AuditEntry
from business.models import Business, Membership
from business.tests.conftest import client_for, join
from listings.models import Listing
from listings.tests.conftest import create
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def test_the_last_admin_cannot_delete_his_account(business: Business, owner: Any) -> None:
    assert_error(client_for(owner).delete(ME), 409, "last_admin")

    owner.refresh_from_db()
    assert owner.is_active
    assert Membership.objects.filter(user=owner, role="admin").exists()


def test_a_deleted_member_leaves_the_team_and_his_business_listings_stay(
    business: Business, seller: Any
) -> None:
    listing_id = create(seller, business_id=str(business.pk)).json()["id"]

    assert client_for(seller).delete(ME).status_code == 204

    assert not Membership.objects.filter(user=seller).exists()
    assert Listing.objects.get(pk=listing_id).status == "draft"
    entry = AuditEntry.objects.get(action="business.member_left")
    assert entry.data["reason"] == "account_deleted"


def test_an_admin_with_a_co_admin_may_delete_his_account(business: Business, owner: Any) -> None:
    join(business, "admin")

    assert client_for(owner).delete(ME).status_code == 204

    assert Membership.objects.filter(business=business, role="admin").count() == 1
