"""Every action that matters writes the audit log: moderation decisions, invitation changes,
payment state changes and any edit made in the admin (bans, role and membership changes are
covered beside their features). The log itself cannot be changed through the admin."""

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.admin_audit import AuditedModelAdmin
from accounts.models import AuditEntry, Role, User
from accounts.services import audit_record, user_set_role
from accounts.tests.factories import UserFactory
from business.models import Business, Invitation, InvitationStatus
from business.services.team import invitation_create, invitation_decline, invitation_revoke
from business.tests.factories import BusinessFactory, MembershipFactory
from listings.models import Listing, Report
from listings.tests.conftest import create
from moderation.services import moderation_approve, moderation_dismiss_reports, moderation_reject
from promotions.models import Plan
from promotions.tests.conftest import active_listing, bought, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> User:
    return user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None)


@pytest.fixture
def admin_client(client: Client, superuser: User) -> Client:
    client.force_login(superuser)
    return client


def entries(action: str, target: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, target_id=str(target.pk)))


def resubmit(client: Client, url: str, **changes: Any) -> Any:
    """POST an admin change form back as the page rendered it, with `changes`."""
    page = client.get(url)
    assert page.status_code == 200, page.content[:300]
    form = page.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    data.update(changes)
    return client.post(url, {k: v for k, v in data.items() if v is not None})


# --- Moderation decisions -----------------------------------------------------------------------


@pytest.fixture
def moderator() -> User:
    return user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None)


def pending_listing() -> Listing:
    response = create(UserFactory())
    assert response.status_code == 201, response.content
    Listing.objects.filter(pk=response.json()["id"]).update(
        status="pending_review", review_requested_at=timezone.now()
    )
    return Listing.objects.get(pk=response.json()["id"])


def test_approving_is_audited(moderator: User) -> None:
    listing = moderation_approve(listing=pending_listing(), moderator=moderator)

    (entry,) = entries("moderation.approved", listing)
    assert entry.actor == moderator
    assert entries("listing.approved", listing)[0].data == {
        "from": "pending_review",
        "to": "active",
    }


def test_rejecting_is_audited_with_its_reason(moderator: User) -> None:
    listing = moderation_reject(
        listing=pending_listing(), moderator=moderator, reason_code="fraud_suspected"
    )

    (entry,) = entries("moderation.rejected", listing)
    assert (entry.actor, entry.data) == (moderator, {"reason_code": "fraud_suspected"})


def test_dismissing_reports_is_audited(moderator: User) -> None:
    listing = active_listing(UserFactory())
    Report.objects.create(listing=listing, reporter=UserFactory(), reason="spam")

    moderation_dismiss_reports(listing=listing, moderator=moderator)

    (entry,) = entries("moderation.reports_dismissed", listing)
    assert (entry.actor, entry.data) == (moderator, {"reports": 1})


# --- Invitations --------------------------------------------------------------------------------


@pytest.fixture
def team() -> tuple[Business, User]:
    business = BusinessFactory(name="Ош Авто", slug="osh-avto")
    owner = UserFactory()
    MembershipFactory(business=business, user=owner, role="admin")
    return business, owner


def test_an_invitation_replaced_by_a_new_one_is_revoked_on_the_record(
    team: tuple[Business, User],
) -> None:
    business, owner = team
    first = invitation_create(business=business, actor=owner, phone="+996700111222", role="seller")

    second = invitation_create(business=business, actor=owner, phone="+996700111222", role="admin")

    first.refresh_from_db()
    assert first.status == InvitationStatus.REVOKED
    (revoked,) = entries("business.invitation_revoked", first)
    assert revoked.actor == owner
    assert entries("business.invitation_created", second)[0].data["role"] == "admin"


def test_revoking_and_declining_invitations_are_audited(team: tuple[Business, User]) -> None:
    business, owner = team
    invitee = UserFactory(phone="+996700333444")
    revoked = invitation_create(
        business=business, actor=owner, phone="+996700111222", role="seller"
    )
    declined = invitation_create(business=business, actor=owner, phone=invitee.phone, role="seller")

    invitation_revoke(business=business, actor=owner, invitation_id=revoked.pk)
    invitation_decline(user=invitee, invitation_id=declined.pk)

    assert entries("business.invitation_revoked", revoked)[0].actor == owner
    assert entries("business.invitation_declined", declined)[0].actor == invitee
    assert Invitation.objects.filter(status="pending").count() == 0


# --- Payments -----------------------------------------------------------------------------------


def test_a_failed_payment_is_audited() -> None:
    seller = UserFactory()
    promotion = bought(seller, active_listing(seller))

    pay(promotion, "failed")

    (entry,) = entries("payment.failed", promotion.payment)
    assert (entry.actor, entry.data["from"], entry.data["to"]) == (None, "pending", "failed")


# --- Admin edits --------------------------------------------------------------------------------


def test_every_admin_page_is_audited() -> None:
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedModelAdmin)
    ]

    assert unaudited == []


def test_an_admin_edit_records_who_changed_which_fields(
    admin_client: Client, superuser: User
) -> None:
    plan = Plan.objects.get(code="boost_7")

    response = resubmit(admin_client, f"/admin/promotions/plan/{plan.pk}/change/", price="999.00")

    assert response.status_code == 302, response.content.decode()[:2000]
    (entry,) = entries("admin.changed", plan)
    assert entry.actor == superuser
    assert entry.target_type == "promotions.plan"
    assert entry.data == {"changes": [{"changed": {"fields": ["Price"]}}]}


def test_saving_an_unchanged_form_records_nothing(admin_client: Client) -> None:
    plan = Plan.objects.get(code="boost_7")

    resubmit(admin_client, f"/admin/promotions/plan/{plan.pk}/change/")

    assert entries("admin.changed", plan) == []


def test_an_admin_edit_of_a_user_is_recorded_without_secrets(
    admin_client: Client, superuser: User
) -> None:
    user = UserFactory(display_name="Old")

    resubmit(admin_client, f"/admin/accounts/user/{user.pk}/change/", display_name="New")
    admin_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {
            "password1": "s3cret-Passw0rd!",
            "password2": "s3cret-Passw0rd!",
            "usable_password": "true",
        },
    )

    changed = AuditEntry.objects.filter(action="admin.changed", target_id=str(user.pk))
    assert changed.count() == 2
    assert {"changed": {"fields": ["Display name"]}} in changed.last().data["changes"]  # type: ignore[union-attr]
    user.refresh_from_db()
    assert user.check_password("s3cret-Passw0rd!")
    assert not any(user.password in str(entry.data) for entry in changed)
    assert "s3cret" not in str([entry.data for entry in changed])


def test_admins_of_library_models_are_audited_too(admin_client: Client, superuser: User) -> None:
    admin_client.post("/admin/auth/group/add/", {"name": "Support"})
    group = Group.objects.get(name="Support")
    resubmit(admin_client, f"/admin/auth/group/{group.pk}/change/", name="Support team")
    admin_client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})

    actions = list(
        AuditEntry.objects.filter(target_type="auth.group", target_id=str(group.pk))
        .order_by("id")
        .values_list("action", "actor", "data")
    )
    assert [action for action, _actor, _data in actions] == [
        "admin.added",
        "admin.changed",
        "admin.deleted",
    ]
    assert {actor for _action, actor, _data in actions} == {superuser.pk}
    assert actions[2][2] == {"object": "Support team"}
    assert not Group.objects.filter(pk=group.pk).exists()


# --- The audit log in the admin -----------------------------------------------------------------


def test_a_superuser_cannot_delete_entries_in_bulk_either(admin_client: Client) -> None:
    entry = audit_record(actor=None, action="listing.approved")

    page = admin_client.get("/admin/accounts/auditentry/")
    delete_page = admin_client.get(f"/admin/accounts/auditentry/{entry.pk}/delete/")
    bulk = admin_client.post(
        "/admin/accounts/auditentry/",
        {"action": "delete_selected", "_selected_action": [str(entry.pk)], "post": "yes"},
    )

    assert "delete_selected" not in page.context["cl"].model_admin.get_actions(page.wsgi_request)
    assert delete_page.status_code == 403
    assert bulk.status_code in (200, 302)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
