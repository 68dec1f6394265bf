"""The user model: phone as identity, roles kept in step with Django's staff flags."""

import os
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client

from accounts.models import MODERATORS_GROUP, AuditEntry, Role, User
from accounts.phone import normalize_phone
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "written", ["+996 700 123 456", "996700123456", "0700 123 456", "0700-123-456", "700123456"]
)
def test_phones_are_normalised_to_e164(written: str) -> None:
    assert normalize_phone(written) == "+996700123456"


@pytest.mark.parametrize(
    "written",
    ["", "hello", "+7 701 123 4567", "0312 123 456", "+996 700 123 45", "+9967001234567", None, 5],
    ids=["empty", "words", "kazakh", "landline", "short", "long", "none", "int"],
)
def test_other_numbers_are_refused(written: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_phone(written)

    assert caught.value.code == "invalid_phone"


def test_ordinary_users_have_no_usable_password() -> None:
    user = User.objects.create_user("0700 111 222")

    assert user.phone == "+996700111222"
    assert not user.has_usable_password()
    assert user.role == Role.USER
    assert not user.is_staff
    assert user.token_version == 0


def test_createsuperuser_works_by_phone_and_password(client: Client) -> None:
    env = {"DJANGO_SUPERUSER_PASSWORD": "a-long-staff-password-42"}
    os.environ.update(env)
    try:
        call_command("createsuperuser", "--noinput", "--phone", "0555 12 34 56", verbosity=0)
    finally:
        for key in env:
            os.environ.pop(key)

    admin = User.objects.get(phone="+996555123456")
    assert (admin.role, admin.is_staff, admin.is_superuser) == (Role.ADMIN, True, True)
    assert AuditEntry.objects.filter(action="user.role_changed", target_id=str(admin.pk)).exists()
    # The admin login takes the phone as people write it.
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "0555 123 456", "password": "a-long-staff-password-42"},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_role_service_keeps_staff_flags_and_group_in_step() -> None:
    user = UserFactory()
    moderators = Group.objects.get(name=MODERATORS_GROUP)

    user_set_role(user=user, role=Role.MODERATOR, actor=None)
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, False)
    assert moderators in user.groups.all()

    user_set_role(user=user, role=Role.ADMIN, actor=None)
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, True)
    assert moderators not in user.groups.all()

    user_set_role(user=user, role=Role.USER, actor=None)
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (False, False)
    actions = AuditEntry.objects.filter(target_id=str(user.pk)).values_list("data", flat=True)
    assert [entry["to"] for entry in actions.order_by("id")] == ["moderator", "admin", "user"]


def test_the_database_refuses_a_role_out_of_step_with_the_flags() -> None:
    user = UserFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_staff=True)


def test_an_ordinary_user_cannot_enter_the_admin(client: Client) -> None:
    client.force_login(UserFactory())

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_moderator_enters_the_admin(client: Client) -> None:
    moderator = user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None)
    client.force_login(moderator)

    assert client.get("/admin/").status_code == 200


def test_staff_create_a_user_in_the_admin_with_the_role_applied(client: Client) -> None:
    admin = user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None)
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "phone": "0777 000 111",
            "display_name": "Aibek",
            "city": "Bishkek",
            "language": "ky",
            "role": "moderator",
            "password": "",
        },
    )

    assert response.status_code == 302, response.content
    created = User.objects.get(phone="+996777000111")
    assert (created.role, created.is_staff) == (Role.MODERATOR, True)
    assert not created.has_usable_password()
    entry = AuditEntry.objects.get(action="user.role_changed", target_id=str(created.pk))
    assert entry.actor == admin
