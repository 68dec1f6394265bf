"""Staff's console: businesses with their team inline (through the services, audited), the
verified mark by action, and the subscription, invitations and orders shown read-only."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import AuditEntry, Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from business.models import Business, Membership

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/business/business/"


@pytest.fixture
def staff(client: Client) -> Any:
    user = user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None)
    client.force_login(user)
    return user


def change_form(
    business: Business, members: list[tuple[Any, str, bool]], **changes: Any
) -> dict[str, Any]:
    """The change form's POST: the profile, then each (user, role, delete) member row, existing
    ones first, a new one last when its user has no membership yet."""
    existing = {m.user_id: m for m in Membership.objects.filter(business=business)}
    data: dict[str, Any] = {
        "name": business.name,
        "description": business.description,
        "phone": business.phone,
        "city": business.city,
        "memberships-TOTAL_FORMS": len(members),
        "memberships-INITIAL_FORMS": len(existing),
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
        "invitations-TOTAL_FORMS": 0,
        "invitations-INITIAL_FORMS": 0,
        "subscription_orders-TOTAL_FORMS": 0,
        "subscription_orders-INITIAL_FORMS": 0,
        **changes,
    }
    for index, (user, role, delete) in enumerate(members):
        prefix = f"memberships-{index}-"
        data[f"{prefix}user"] = str(user.pk)
        data[f"{prefix}role"] = role
        data[f"{prefix}business"] = str(business.pk)
        if user.pk in existing:
            data[f"{prefix}id"] = existing[user.pk].pk
        if delete:
            data[f"{prefix}DELETE"] = "on"
    return data


def test_staff_see_businesses_with_their_subscription(
    client: Client, staff: Any, business: Business, seller: Any
) -> None:
    listing = client.get(CHANGELIST)
    detail = client.get(f"{CHANGELIST}{business.pk}/change/")

    assert listing.status_code == 200
    assert b"Bishkek Motors" in listing.content
    assert detail.status_code == 200
    assert seller.phone.encode() in detail.content or str(seller.pk).encode() in detail.content
    assert client.get(f"{CHANGELIST}add/").status_code == 403


def test_the_verify_action_is_audited(client: Client, staff: Any, business: Business) -> None:
    response = client.post(CHANGELIST, {"action": "verify", "_selected_action": [str(business.pk)]})

    assert response.status_code == 302
    business.refresh_from_db()
    assert business.verified is True
    entry = AuditEntry.objects.get(action="business.verified")
    assert entry.actor_id == staff.pk


def test_the_team_inline_goes_through_the_services(
    client: Client, staff: Any, business: Business, owner: Any, seller: Any
) -> None:
    newcomer = UserFactory()
    data = change_form(
        business,
        [(owner, "seller", False), (seller, "seller", True), (newcomer, "admin", False)],
        city="Ош",
    )

    response = client.post(f"{CHANGELIST}{business.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    roles = dict(Membership.objects.filter(business=business).values_list("user_id", "role"))
    assert roles == {owner.pk: "seller", newcomer.pk: "admin"}
    actions = set(AuditEntry.objects.filter(actor=staff).values_list("action", flat=True))
    assert {
        "business.updated",
        "business.member_added",
        "business.member_role_changed",
        "business.member_removed",
    } <= actions


def test_the_team_inline_keeps_an_admin(
    client: Client, staff: Any, business: Business, owner: Any, seller: Any
) -> None:
    data = change_form(business, [(owner, "seller", False), (seller, "seller", False)])

    response = client.post(f"{CHANGELIST}{business.pk}/change/", data)

    assert response.status_code == 200  # the form again, with the error
    assert Membership.objects.get(user=owner).role == "admin"
