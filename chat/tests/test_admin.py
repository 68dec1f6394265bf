"""The admin shows threads and messages to staff, read-only."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from chat.models import Message, Thread

from .conftest import send

pytestmark = pytest.mark.django_db


def admin_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser() -> Any:
    return user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None)


def granted_moderator() -> Any:
    moderator = user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None)
    moderator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="chat", codename__in=("view_thread", "view_message")
        )
    )
    return moderator


@pytest.mark.parametrize("who", ["granted_moderator", "superuser"])
def test_staff_read_threads_and_messages(
    who: str, request: pytest.FixtureRequest, buyer: Any, thread: Thread
) -> None:
    send(buyer, thread, "Предоплата на карту?")
    message = Message.objects.get()
    user = granted_moderator() if who == "granted_moderator" else request.getfixturevalue(who)
    client = admin_client(user)

    pages = [
        reverse("admin:chat_thread_changelist"),
        reverse("admin:chat_thread_change", args=[thread.pk]),
        reverse("admin:chat_message_changelist"),
        reverse("admin:chat_message_change", args=[message.pk]),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
    assert "Предоплата на карту?" in client.get(pages[1]).content.decode()


def test_nobody_writes_or_deletes_in_the_admin(superuser: Any, buyer: Any, thread: Thread) -> None:
    send(buyer, thread, "original")
    message = Message.objects.get()
    client = admin_client(superuser)

    assert client.get(reverse("admin:chat_message_add")).status_code == 403
    assert client.get(reverse("admin:chat_thread_delete", args=[thread.pk])).status_code == 403
    client.post(
        reverse("admin:chat_message_change", args=[message.pk]),
        {"body": "rewritten", "seq": 1, "client_id": "x"},
    )
    message.refresh_from_db()
    assert message.body == "original"


def test_users_who_are_not_staff_see_nothing(buyer: Any, thread: Thread) -> None:
    response = admin_client(buyer).get(reverse("admin:chat_thread_changelist"))

    assert response.status_code == 302


def test_moderators_keep_to_their_console_unless_granted(moderator: Any, thread: Thread) -> None:
    response = admin_client(moderator).get(reverse("admin:chat_thread_changelist"))

    assert response.status_code == 403
