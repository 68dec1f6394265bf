"""Staff tools: the user admin (search, filters, ban, consent history) and create_moderator."""

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import MODERATORS_GROUP, AuditEntry, Role, User
from accounts.services import user_ban, user_set_role
from accounts.services.consents import RequestMeta, consent_record
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from tests.helpers import assert_error

from .conftest import ME, bearer

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


@pytest.fixture
def admin_user() -> User:
    return user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None)


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


def listed(response: Any) -> set[Any]:
    assert response.status_code == 200, response.content[:500]
    return {user.pk for user in response.context["cl"].result_list}


# --- The user list ---------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["0700 123 456", "+996 700 123 456", "996700123456"])
def test_staff_find_a_user_by_the_phone_as_people_write_it(
    admin_client: Client, written: str
) -> None:
    wanted = UserFactory(phone="+996700123456")
    UserFactory(phone="+996700123457")

    assert listed(admin_client.get(USERS, {"q": written})) == {wanted.pk}


def test_staff_find_a_user_by_name(admin_client: Client) -> None:
    wanted = UserFactory(display_name="Нурлан Асанов")
    UserFactory(display_name="Someone Else")

    assert listed(admin_client.get(USERS, {"q": "асанов"})) == {wanted.pk}


def test_staff_filter_users_by_role(admin_client: Client, admin_user: User) -> None:
    moderator = user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None)
    UserFactory()

    assert listed(admin_client.get(USERS, {"role__exact": "moderator"})) == {moderator.pk}
    assert listed(admin_client.get(USERS, {"role__exact": "admin"})) == {admin_user.pk}


def test_staff_filter_users_by_active(admin_client: Client) -> None:
    banned = user_ban(user=UserFactory(), actor=None)
    active = UserFactory()

    assert listed(admin_client.get(USERS, {"is_active__exact": "0"})) == {banned.pk}
    assert active.pk in listed(admin_client.get(USERS, {"is_active__exact": "1"}))


def test_the_ban_action_deactivates_revokes_and_audits(
    admin_client: Client, admin_user: User
) -> None:
    target, bystander = UserFactory(), UserFactory()
    target_client = bearer(issue_tokens(target)["access"])
    bystander_client = bearer(issue_tokens(bystander)["access"])

    response = admin_client.post(
        USERS, {"action": "ban_users", "_selected_action": [str(target.pk)]}
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_active is False
    assert_error(target_client.get(ME), 401, "token_not_valid")
    assert bystander_client.get(ME).status_code == 200
    entry = AuditEntry.objects.get(action="user.banned", target_id=str(target.pk))
    assert entry.actor == admin_user


def test_an_admin_cannot_ban_himself_by_the_action(admin_client: Client, admin_user: User) -> None:
    admin_client.post(USERS, {"action": "ban_users", "_selected_action": [str(admin_user.pk)]})

    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert not AuditEntry.objects.filter(action="user.banned").exists()


def test_the_consent_history_shows_inline_and_read_only(admin_client: Client) -> None:
    user = UserFactory()
    meta = RequestMeta(ip="203.0.113.42", user_agent="360-app/3.0 (iOS 18)")
    consent_record(user=user, kind="marketing_communications", accepted=True, meta=meta)
    consent_record(user=user, kind="marketing_communications", accepted=False, meta=meta)

    response = admin_client.get(f"{USERS}{user.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("203.0.113.42") == 2
    assert "360-app/3.0 (iOS 18)" in html
    (inline,) = [
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.opts.model._meta.model_name == "consent"
    ]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.formset.can_delete
    assert 'name="consents-0-accepted"' not in html
    assert 'name="consents-0-DELETE"' not in html


def test_there_is_no_admin_page_for_login_codes(admin_client: Client) -> None:
    assert admin_client.get("/admin/accounts/phonecode/").status_code == 404


def test_a_moderator_cannot_ban_users(client: Client) -> None:
    moderator = user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None)
    target = UserFactory()
    client.force_login(moderator)

    client.post(USERS, {"action": "ban_users", "_selected_action": [str(target.pk)]})

    target.refresh_from_db()
    assert target.is_active


# --- create_moderator ------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_moderator", *args, stdout=out)
    return out.getvalue()


def test_create_moderator_creates_one_by_phone_as_written() -> None:
    output = run("--phone", "0700 999 888", "--name", "Бакыт")

    user = User.objects.get(phone="+996700999888")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.MODERATOR, True, False)
    assert user.display_name == "Бакыт"
    assert user.groups.filter(name=MODERATORS_GROUP).exists()
    assert not user.has_usable_password()
    assert "+996700999888" in output
    actions = set(
        AuditEntry.objects.filter(target_id=str(user.pk)).values_list("action", flat=True)
    )
    assert {"user.created_by_staff", "user.role_changed"} <= actions


def test_create_moderator_run_again_keeps_one_moderator() -> None:
    run("--phone", "0700 999 888")

    run("--phone", "+996 700 999 888")

    user = User.objects.get(phone="+996700999888")
    assert user.role == Role.MODERATOR
    assert User.objects.filter(phone="+996700999888").count() == 1
    assert Group.objects.get(name=MODERATORS_GROUP).user_set.filter(pk=user.pk).count() == 1


def test_create_moderator_promotes_an_existing_user() -> None:
    existing = UserFactory(phone="+996700999888", display_name="Old Name")

    run("--phone", "0700 999 888", "--name", "Ignored")

    existing.refresh_from_db()
    assert (existing.role, existing.is_staff) == (Role.MODERATOR, True)
    assert existing.display_name == "Old Name"
    entry = AuditEntry.objects.get(action="user.role_changed", target_id=str(existing.pk))
    assert entry.data == {"from": "user", "to": "moderator"}
    assert entry.actor is None


def test_create_moderator_refuses_an_invalid_phone() -> None:
    with pytest.raises(CommandError):
        run("--phone", "0312 123 456")

    assert not User.objects.exists()


def test_create_moderator_leaves_an_admin_an_admin() -> None:
    admin = user_set_role(user=UserFactory(phone="+996700999888"), role=Role.ADMIN, actor=None)

    with pytest.raises(CommandError):
        run("--phone", "0700 999 888")

    admin.refresh_from_db()
    assert admin.role == Role.ADMIN
