import pytest
from rest_framework.test import APIClient

from business.models import Business, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_me_lists_the_callers_businesses_with_his_role() -> None:
    user, other = UserFactory(), UserFactory()
    dealer = Business.objects.create(name="Bishkek Motors", slug="bishkek-motors")
    agency = Business.objects.create(name="Osh Realty", slug="osh-realty")
    Membership.objects.create(business=dealer, user=user, role="admin")
    Membership.objects.create(business=agency, user=other, role="seller")
    client = APIClient()
    client.force_authenticate(user)

    response = client.get("/api/v1/me/")

    assert response.json()["businesses"] == [
        {"id": str(dealer.pk), "name": "Bishkek Motors", "role": "admin"}
    ]
