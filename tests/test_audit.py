"""The audit log: written by one service, never edited — not by the admin, not by SQL."""

import pytest
from django.db import DatabaseError, transaction
from django.test import Client

from accounts.models import AuditEntry, Role
from accounts.services import audit_record, user_set_role
from accounts.tests.factories import UserFactory
from core.request_context import reset_request_id, set_request_id

pytestmark = pytest.mark.django_db


def test_audit_record_writes_who_what_target_data_and_request_id() -> None:
    actor, target = UserFactory(), UserFactory()
    token = set_request_id("req-42")
    try:
        entry = audit_record(actor=actor, action="user.banned", target=target, data={"why": "x"})
    finally:
        reset_request_id(token)

    entry.refresh_from_db()
    assert entry.actor == actor
    assert (entry.action, entry.target_type, entry.target_id) == (
        "user.banned",
        "accounts.user",
        str(target.pk),
    )
    assert entry.data == {"why": "x"}
    assert entry.request_id == "req-42"
    assert entry.created_at is not None


def test_the_system_is_recorded_as_no_actor() -> None:
    entry = audit_record(actor=None, action="promotions.expired")

    assert entry.actor is None
    assert entry.target_type == ""


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_the_database_refuses_to_change_an_entry(operation: str) -> None:
    entry = audit_record(actor=None, action="something.happened")
    rows = AuditEntry.objects.filter(pk=entry.pk)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        rows.update(action="rewritten") if operation == "update" else rows.delete()

    assert AuditEntry.objects.get(pk=entry.pk).action == "something.happened"


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(user_set_role(user=UserFactory(), role=Role.ADMIN, actor=None))
    return client


def test_the_admin_lists_entries_read_only(admin_client: Client) -> None:
    entry = audit_record(actor=None, action="listing.approved", data={"note": "ok"})

    listing = admin_client.get("/admin/accounts/auditentry/")
    detail = admin_client.get(f"/admin/accounts/auditentry/{entry.pk}/change/")

    assert listing.status_code == 200
    assert b"listing.approved" in listing.content
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert b"/delete/" not in detail.content


def test_the_admin_cannot_add_change_or_delete_entries(admin_client: Client) -> None:
    entry = audit_record(actor=None, action="listing.approved")

    add = admin_client.get("/admin/accounts/auditentry/add/")
    change = admin_client.post(
        f"/admin/accounts/auditentry/{entry.pk}/change/", {"action": "rewritten"}
    )
    delete = admin_client.post(f"/admin/accounts/auditentry/{entry.pk}/delete/", {"post": "yes"})

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "listing.approved"
