"""The team: members, roles, leaving, invitations — and that nobody outside a business
touches its team (404) while its sellers see it but cannot manage it (403)."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, Device
from accounts.tests.factories import UserFactory
from business.models import Business, Invitation, Membership
from business.services.team import INVITED_TITLE, REMOVED_TITLE
from business.tests.conftest import client_for, join, url
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

MY_INVITATIONS = "/api/v1/me/invitations/"


def invite(admin: Any, business: Business, phone: str, role: str = "seller") -> Any:
    return client_for(admin).post(
        url(business, "invitations/"), {"phone": phone, "role": role}, format="json"
    )


def member_url(business: Business, user: Any) -> str:
    return url(business, f"members/{user.pk}/")


# --- Members ----------------------------------------------------------------------------------


def test_members_see_the_team(business: Business, owner: Any, seller: Any) -> None:
    for member in (owner, seller):
        response = client_for(member).get(url(business, "members/"))

        assert response.status_code == 200
        assert [(m["user_id"], m["role"]) for m in response.json()] == [
            (str(owner.pk), "admin"),
            (str(seller.pk), "seller"),
        ]
        assert set(response.json()[0]) == {"user_id", "display_name", "role", "joined_at"}


def test_the_members_list_costs_the_same_however_big_the_team(
    business: Business, owner: Any, django_assert_num_queries: Any
) -> None:
    for _ in range(10):
        join(business)
    client = client_for(owner)

    # The caller's membership, then the team with its users.
    with django_assert_num_queries(2):
        assert len(client.get(url(business, "members/")).json()) == 11


def test_outsiders_and_anonymous_callers_do_not_see_the_team(
    business: Business, outsider: Any
) -> None:
    assert_error(client_for(outsider).get(url(business, "members/")), 404, "not_found")
    assert_error(client_for().get(url(business, "members/")), 401, "not_authenticated")


def test_an_admin_promotes_and_demotes(business: Business, owner: Any, seller: Any) -> None:
    response = client_for(owner).patch(
        member_url(business, seller), {"role": "admin"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "admin"
    response = client_for(seller).patch(
        member_url(business, owner), {"role": "seller"}, format="json"
    )
    assert response.status_code == 200
    roles = dict(Membership.objects.values_list("user_id", "role"))
    assert roles == {owner.pk: "seller", seller.pk: "admin"}
    assert AuditEntry.objects.filter(action="business.member_role_changed").count() == 2


def test_the_last_admin_cannot_be_demoted(business: Business, owner: Any, seller: Any) -> None:
    response = client_for(owner).patch(
        member_url(business, owner), {"role": "seller"}, format="json"
    )

    assert_error(response, 409, "last_admin")
    assert Membership.objects.get(user=owner).role == "admin"


def test_a_banned_admin_does_not_count_as_the_other_admin(business: Business, owner: Any) -> None:
    banned = join(business, "admin")
    banned.is_active = False
    banned.save()

    response = client_for(owner).patch(
        member_url(business, owner), {"role": "seller"}, format="json"
    )

    assert_error(response, 409, "last_admin")


def test_a_seller_cannot_change_roles(business: Business, owner: Any, seller: Any) -> None:
    response = client_for(seller).patch(
        member_url(business, seller), {"role": "admin"}, format="json"
    )

    assert_error(response, 403, "permission_denied")
    assert Membership.objects.get(user=seller).role == "seller"


def test_a_role_must_be_admin_or_seller(business: Business, owner: Any, seller: Any) -> None:
    response = client_for(owner).patch(
        member_url(business, seller), {"role": "owner"}, format="json"
    )

    assert set(assert_error(response, 400, "invalid")["fields"]) == {"role"}


def test_changing_someone_who_is_not_a_member_is_404(
    business: Business, owner: Any, outsider: Any
) -> None:
    response = client_for(owner).patch(
        member_url(business, outsider), {"role": "admin"}, format="json"
    )

    assert_error(response, 404, "not_found")


def test_an_admin_removes_a_member_who_is_told(
    business: Business,
    owner: Any,
    seller: Any,
    django_capture_on_commit_callbacks: Any,
    pushed: Any,
) -> None:
    Device.objects.create(
        user=seller, expo_push_token="ExponentPushToken[seller01]", platform="ios"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).delete(member_url(business, seller))

    assert response.status_code == 204
    assert not Membership.objects.filter(user=seller).exists()
    assert [message.title for message in pushed] == [str(REMOVED_TITLE)]
    assert AuditEntry.objects.filter(action="business.member_removed").exists()


def test_a_member_leaves_by_removing_himself(business: Business, seller: Any) -> None:
    assert client_for(seller).delete(member_url(business, seller)).status_code == 204

    assert not Membership.objects.filter(user=seller).exists()
    assert AuditEntry.objects.filter(action="business.member_left").exists()


def test_the_last_admin_cannot_leave(business: Business, owner: Any, seller: Any) -> None:
    assert_error(client_for(owner).delete(member_url(business, owner)), 409, "last_admin")
    assert Membership.objects.filter(user=owner).exists()


def test_an_admin_leaves_when_another_admin_remains(business: Business, owner: Any) -> None:
    join(business, "admin")

    assert client_for(owner).delete(member_url(business, owner)).status_code == 204


def test_a_seller_cannot_remove_another_member(business: Business, owner: Any, seller: Any) -> None:
    other = join(business, "seller")

    assert_error(client_for(seller).delete(member_url(business, other)), 403, "permission_denied")
    assert Membership.objects.filter(user=other).exists()


def test_a_removed_member_loses_access_at_once_and_the_listings_stay(
    business: Business, owner: Any, seller: Any
) -> None:
    from listings.tests.conftest import create

    created = create(seller, business_id=str(business.pk))
    assert created.status_code == 201
    listing_url = f"/api/v1/listings/{created.json()['id']}/"
    assert client_for(owner).delete(member_url(business, seller)).status_code == 204

    assert_error(
        client_for(seller).patch(listing_url, {"title": "Taken with me"}, format="json"),
        404,
        "not_found",
    )
    assert_error(client_for(seller).get(url(business, "members/")), 404, "not_found")
    assert client_for(owner).get(listing_url).json()["seller"]["business"]["id"] == str(business.pk)


# --- A business's team is out of reach of another business's members --------------------------


def test_a_member_of_one_business_cannot_touch_another_ones_team(
    business: Business, other_business: Business
) -> None:
    admin_elsewhere = join(other_business, "admin")
    victim = join(business, "seller")
    client = client_for(admin_elsewhere)

    assert_error(client.get(url(business, "members/")), 404, "not_found")
    assert_error(
        client.patch(member_url(business, victim), {"role": "admin"}, format="json"),
        404,
        "not_found",
    )
    assert_error(client.delete(member_url(business, victim)), 404, "not_found")
    assert_error(client.get(url(business, "invitations/")), 404, "not_found")
    assert_error(invite(admin_elsewhere, business, "+996700999001"), 404, "not_found")
    assert_error(client.patch(url(business), {"name": "Hijacked"}, format="json"), 404, "not_found")
    invitation = Invitation.objects.create(
        business=business,
        phone="+996700999002",
        role="seller",
        invited_by=victim,
        expires_at=timezone.now() + timedelta(days=7),
    )
    assert_error(client.delete(url(business, f"invitations/{invitation.pk}/")), 404, "not_found")
    assert Membership.objects.get(user=victim).role == "seller"


# --- Invitations ------------------------------------------------------------------------------


def test_an_invitation_looks_the_same_for_a_known_and_an_unknown_phone(
    business: Business, owner: Any
) -> None:
    known = UserFactory(phone="+996700111222")

    for_known = invite(owner, business, "0700 111 222")
    for_unknown = invite(owner, business, "+996 700 333 444")

    assert for_known.status_code == for_unknown.status_code == 201
    body_known, body_unknown = for_known.json(), for_unknown.json()
    assert (
        set(body_known)
        == set(body_unknown)
        == {
            "id",
            "phone",
            "role",
            "status",
            "expires_at",
            "created_at",
        }
    )
    assert body_known["phone"] == known.phone
    assert body_unknown["phone"] == "+996700333444"
    for body in (body_known, body_unknown):
        assert (body["role"], body["status"]) == ("seller", "pending")
        expires = timezone.datetime.fromisoformat(body["expires_at"])
        assert abs(expires - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert for_known.headers.keys() == for_unknown.headers.keys()


def test_an_invited_user_with_an_account_is_notified(
    business: Business, owner: Any, django_capture_on_commit_callbacks: Any, pushed: Any
) -> None:
    invitee = UserFactory()
    Device.objects.create(
        user=invitee, expo_push_token="ExponentPushToken[invitee1]", platform="ios"
    )

    with django_capture_on_commit_callbacks(execute=True):
        invite(owner, business, invitee.phone)

    assert [message.title for message in pushed] == [str(INVITED_TITLE)]


def test_only_admins_invite(business: Business, seller: Any) -> None:
    assert_error(invite(seller, business, "+996700999003"), 403, "permission_denied")
    assert_error(client_for(seller).get(url(business, "invitations/")), 403, "permission_denied")
    assert not Invitation.objects.exists()


def test_an_invitation_needs_a_kyrgyz_mobile_and_a_known_role(
    business: Business, owner: Any
) -> None:
    assert_error(invite(owner, business, "+7 900 123 45 67"), 400, "invalid_phone")
    assert (
        "role"
        in assert_error(invite(owner, business, "+996700999004", "boss"), 400, "invalid")["fields"]
    )


def test_admins_list_pending_invitations_and_a_new_one_replaces_the_old(
    business: Business, owner: Any
) -> None:
    first = invite(owner, business, "+996700999005").json()
    second = invite(owner, business, "+996700999005", "admin").json()
    Invitation.objects.create(
        business=business,
        phone="+996700999006",
        role="seller",
        invited_by=owner,
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    listed = client_for(owner).get(url(business, "invitations/")).json()

    assert [(i["id"], i["role"]) for i in listed] == [(second["id"], "admin")]
    assert Invitation.objects.get(pk=first["id"]).status == "revoked"


def test_an_admin_revokes_an_invitation(business: Business, owner: Any) -> None:
    invitation = invite(owner, business, "+996700999007").json()

    response = client_for(owner).delete(url(business, f"invitations/{invitation['id']}/"))

    assert response.status_code == 204
    assert Invitation.objects.get(pk=invitation["id"]).status == "revoked"
    assert client_for(owner).get(url(business, "invitations/")).json() == []


def test_an_invitation_waits_for_that_phone_to_log_in_then_is_accepted(
    business: Business, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from accounts.tests.conftest import CONSENT, OTP_REQUEST, OTP_VERIFY, last_code

    phone = "+996700555666"
    invitation = invite(owner, business, phone).json()
    with django_capture_on_commit_callbacks(execute=True):  # the SMS is sent after the commit
        assert client_for().post(OTP_REQUEST, {"phone": phone}, format="json").status_code == 202
    login = client_for().post(
        OTP_VERIFY, {"phone": phone, "code": last_code(phone), "consent": CONSENT}, format="json"
    )
    assert login.status_code == 200, login.content
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

    mine = client.get(MY_INVITATIONS).json()
    assert [i["id"] for i in mine] == [invitation["id"]]
    assert mine[0]["business"] == {
        "id": str(business.pk),
        "name": "Bishkek Motors",
        "logo_url": None,
        "verified": False,
    }
    assert client.post(f"{MY_INVITATIONS}{invitation['id']}/accept/").status_code == 204
    assert client.get(MY_INVITATIONS).json() == []
    assert client.get("/api/v1/me/").json()["businesses"] == [
        {"id": str(business.pk), "name": "Bishkek Motors", "role": "seller"}
    ]
    # A retried accept is fine.
    assert client.post(f"{MY_INVITATIONS}{invitation['id']}/accept/").status_code == 204
    assert AuditEntry.objects.filter(action="business.invitation_accepted").count() == 1


def test_declining_leaves_the_team_as_it_was(business: Business, owner: Any) -> None:
    invitee = UserFactory()
    invitation = invite(owner, business, invitee.phone).json()

    response = client_for(invitee).post(f"{MY_INVITATIONS}{invitation['id']}/decline/")

    assert response.status_code == 204
    assert not Membership.objects.filter(user=invitee).exists()
    assert Invitation.objects.get(pk=invitation["id"]).status == "declined"
    assert_error(
        client_for(invitee).post(f"{MY_INVITATIONS}{invitation['id']}/accept/"), 404, "not_found"
    )


def test_someone_elses_expired_or_revoked_invitation_cannot_be_answered(
    business: Business, owner: Any
) -> None:
    invitee, stranger = UserFactory(), UserFactory()
    invitation = invite(owner, business, invitee.phone).json()
    path = f"{MY_INVITATIONS}{invitation['id']}/accept/"

    assert_error(client_for(stranger).post(path), 404, "not_found")
    assert client_for(stranger).get(MY_INVITATIONS).json() == []
    Invitation.objects.filter(pk=invitation["id"]).update(expires_at=timezone.now())
    assert client_for(invitee).get(MY_INVITATIONS).json() == []
    assert_error(client_for(invitee).post(path), 404, "not_found")
    revoked = invite(owner, business, invitee.phone).json()
    client_for(owner).delete(url(business, f"invitations/{revoked['id']}/"))
    assert_error(
        client_for(invitee).post(f"{MY_INVITATIONS}{revoked['id']}/accept/"), 404, "not_found"
    )
    assert not Membership.objects.filter(user=invitee).exists()


def test_an_existing_member_who_accepts_keeps_his_role(
    business: Business, owner: Any, seller: Any
) -> None:
    invitation = invite(owner, business, seller.phone, "admin").json()

    assert client_for(seller).post(f"{MY_INVITATIONS}{invitation['id']}/accept/").status_code == 204

    assert Membership.objects.get(user=seller).role == "seller"


def test_my_invitations_cost_one_query_however_many(
    owner: Any, django_assert_num_queries: Any
) -> None:
    from business.tests.conftest import make_business

    invitee = UserFactory()
    for index in range(5):
        business = make_business(UserFactory(), name=f"Dealer number {index}")
        Invitation.objects.create(
            business=business,
            phone=invitee.phone,
            role="seller",
            invited_by=owner,
            expires_at=timezone.now() + timedelta(days=1),
        )
    client = client_for(invitee)

    with django_assert_num_queries(1):
        assert len(client.get(MY_INVITATIONS).json()) == 5
