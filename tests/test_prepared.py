"""core.db.prepared_rows: compiled once per shape, then the same rows as the queryset."""

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import AuditEntry, User
from accounts.tests.factories import UserFactory
from core import db

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache() -> Any:
    db._prepared.clear()
    yield
    db._prepared.clear()


def users_since(builds: list[Any]) -> db.Build:
    def build(values: db.Values) -> QuerySet[Any, db.Row]:
        builds.append(values)
        return (
            User.objects.filter(created_at__gte=values.datetime("since"))
            .exclude(pk=values.uuid("not"))
            .filter(display_name__startswith=values.text("prefix"))
            .order_by("phone")
            .values("pk", "phone", "display_name", "is_active")
        )

    return build


def test_a_shape_is_compiled_once_and_each_run_binds_its_own_values() -> None:
    now = timezone.now()
    alice, bob, carol = (UserFactory(display_name=n) for n in ("Alice", "Bob", "Carol"))
    User.objects.filter(pk=alice.pk).update(created_at=now - timedelta(days=3))
    builds: list[Any] = []
    build = users_since(builds)

    def run(**values: Any) -> list[db.Row]:
        rows = db.prepared_rows("users", build, values)
        assert rows == list(build(db.Bound(values)))  # what the ORM itself answers
        return rows

    everyone = run(since=now - timedelta(days=7), **{"not": carol.pk}, prefix="")
    recent = run(since=now - timedelta(days=1), **{"not": carol.pk}, prefix="")
    named = run(since=now - timedelta(days=7), **{"not": alice.pk}, prefix="C")

    assert [r["display_name"] for r in everyone] == sorted(
        ["Alice", "Bob"], key=lambda n: User.objects.get(display_name=n).phone
    )
    assert [r["display_name"] for r in recent] == ["Bob"]
    assert [r["display_name"] for r in named] == ["Carol"]
    assert set(everyone[0]) == {"pk", "phone", "display_name", "is_active"}
    compiled = [b for b in builds if not isinstance(b, db.Bound)]
    assert len(compiled) == 1
    assert bob.pk in {r["pk"] for r in everyone}


def test_a_column_the_orm_must_convert_runs_through_the_queryset() -> None:
    AuditEntry.objects.create(action="test.prepared", data={"n": 1})

    def build(values: db.Values) -> QuerySet[Any, db.Row]:
        return AuditEntry.objects.filter(action=values.text("action")).values("action", "data")

    rows = db.prepared_rows("audit", build, {"action": "test.prepared"})

    assert rows == [{"action": "test.prepared", "data": {"n": 1}}]
    assert db._prepared["audit"].usable is False


def test_a_value_equal_to_a_constant_of_another_type_is_not_taken_for_a_slot() -> None:
    slots = db._Slots()
    first = slots.uuid("a")

    assert slots.name_of(first) == "a"
    assert slots.name_of(first.int) is None
    assert slots.name_of(True) is None
