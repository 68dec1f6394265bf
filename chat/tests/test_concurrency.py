"""Invariants that concurrency could break, under real threads on PostgreSQL."""

from typing import Any

import pytest

from accounts.models import AuditEntry
from chat import services
from chat.models import Block, Message, Thread
from tests.helpers import run_concurrently

from .conftest import THREADS, client_for, open_thread, send

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True, params=["one statement", "in steps"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test twice: with the send's single statement (PostgreSQL's) and with the steps
    SQLite takes (`make run`), both against PostgreSQL, so both keep the invariants."""
    if request.param == "in steps":
        monkeypatch.setattr(services, "_store_in_one_statement", services._store_in_steps)
    return str(request.param)


def test_one_thread_per_listing_and_buyer_when_opened_at_once(buyer: Any, listing: Any) -> None:
    def open_(_index: int) -> int:
        response = client_for(buyer).post(THREADS, {"listing_id": str(listing.pk)}, format="json")
        return response.status_code

    statuses = run_concurrently(6, open_)

    assert sorted(statuses) == [200] * 5 + [201]
    assert Thread.objects.filter(listing=listing, buyer=buyer).count() == 1


def test_two_sends_with_one_client_id_store_one_message(buyer: Any, listing: Any) -> None:
    thread = open_thread(buyer, listing)

    responses = run_concurrently(2, lambda i: send(buyer, thread, f"try {i}", "same"))

    assert sorted(r.status_code for r in responses) == [200, 201]
    assert responses[0].json() == responses[1].json()
    assert Message.objects.filter(thread=thread).count() == 1


def test_concurrent_sends_get_consecutive_numbers(buyer: Any, author: Any, listing: Any) -> None:
    thread = open_thread(buyer, listing)

    def send_one(index: int) -> int:
        sender = buyer if index % 2 else author
        response = send(sender, thread, f"#{index}", f"c-{index}")
        assert response.status_code == 201, response.content
        return int(response.json()["seq"])

    seqs = run_concurrently(10, send_one)

    assert sorted(seqs) == list(range(1, 11))
    thread.refresh_from_db()
    assert thread.last_seq == 10


def test_blocking_and_unblocking_at_once_never_fails(author: Any, buyer: Any, listing: Any) -> None:
    thread = open_thread(buyer, listing)
    url = f"/api/v1/chat/threads/{thread.pk}/block/"

    def toggle(index: int) -> int:
        client = client_for(author)
        return (client.post if index % 2 else client.delete)(url).status_code

    # Each round is a storm of 40; one seldom hits the narrow window, a few nearly always do.
    for _round in range(5):
        statuses = run_concurrently(40, toggle)
        assert statuses == [204] * 40
    # Each change of state was audited once, so blocks and unblocks balance.
    audited = AuditEntry.objects.filter(target_id=str(thread.pk))
    blocked = Block.objects.filter(thread=thread).count()
    assert blocked <= 1
    assert audited.filter(action="chat.blocked").count() == (
        audited.filter(action="chat.unblocked").count() + blocked
    )
