"""Chat's part of the staff commands: figures for marketplace_stats, data for export_user_data."""

import json
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from chat.tests.conftest import send

pytestmark = pytest.mark.django_db


def test_stats_count_the_messages_of_the_last_day(buyer: Any, thread: Any, capsys: Any) -> None:
    assert send(buyer, thread, "Ещё продаёте?").status_code == 201

    call_command("marketplace_stats", "--json")

    figures = json.loads(capsys.readouterr().out)
    assert figures["chat"] == {"messages_24h": 1}


def test_an_export_holds_his_threads_and_what_he_sent_not_what_others_wrote(
    buyer: Any, author: Any, thread: Any, capsys: Any
) -> None:
    assert send(buyer, thread, "Ещё продаёте?", "c-1").status_code == 201
    assert send(author, thread, "Да, приезжайте", "c-2").status_code == 201
    staff = user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None)

    call_command("export_user_data", "--phone", buyer.phone, "--by", staff.phone)

    chat = json.loads(capsys.readouterr().out)["chat"]
    assert [t["id"] for t in chat["threads"]] == [str(thread.pk)]
    assert [m["body"] for m in chat["messages_sent"]] == ["Ещё продаёте?"]
