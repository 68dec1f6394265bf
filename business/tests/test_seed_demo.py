from io import StringIO

import pytest
from django.core.management import call_command

from business.models import Business, Invitation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    # The full generated catalogue has its own test (tests/test_seed_demo.py).
    monkeypatch.setattr("listings.demo.catalogue.CATALOGUE_SIZE", 20)


def test_seed_demo_makes_a_dealer_in_bishkek_and_an_agency_in_osh_with_teams_and_listings() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # idempotent

    businesses = {b.city: b for b in Business.objects.all()}
    assert set(businesses) == {"Бишкек", "Ош"}
    for business in businesses.values():
        assert sorted(business.memberships.values_list("role", flat=True)) == ["admin", "seller"]
        assert business.listings.filter(status="active").exists()
        assert set(business.listings.values_list("author__memberships__role", flat=True)) == {
            "admin",
            "seller",
        }
    assert set(businesses["Бишкек"].listings.values_list("category", flat=True)) == {"car"}
    assert set(businesses["Ош"].listings.values_list("category", flat=True)) == {"real_estate"}
    assert Invitation.objects.filter(status="pending").count() == 1
