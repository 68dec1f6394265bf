"""`seed_demo` loads the whole demo — staff, a moderator, businesses, the generated catalogue with
photos and videos, the moderation queue, chat threads and paid boosts — and a second run
changes nothing."""

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import sms
from accounts.demo import (
    DEMO_ADMIN_PHONE,
    DEMO_BUYER_PHONE,
    DEMO_MODERATOR_PASSWORD,
    DEMO_MODERATOR_PHONE,
    DEMO_SELLER_PHONE,
    format_table,
)
from accounts.models import AuditEntry, Role, User
from chat.models import Message, Thread
from listings.demo import catalogue as demo_catalogue
from listings.models import Listing, ListingMedia, MediaKind, Status
from marketplace.demo import demo_account_rows
from marketplace.management.commands.seed_demo import TABLE_HEADER
from moderation.selectors import moderation_queue
from promotions.models import Payment, Promotion, PromotionStatus

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parent.parent / "README.md"


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, Any]:
    return {
        "users": User.objects.count(),
        "listings": sorted(Listing.objects.values_list("client_id", "status")),
        "media": ListingMedia.objects.count(),
        "threads": Thread.objects.count(),
        "messages": Message.objects.count(),
        "promotions": Promotion.objects.count(),
        "payments": Payment.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_seed_demo_loads_a_catalogue_of_200_listings_with_media_queue_threads_and_boosts() -> None:
    output = seed()
    check_the_demo_table(output)

    listings = Listing.objects.all()
    assert listings.count() >= 200
    by_category = {c: listings.filter(category=c).count() for c in ("car", "real_estate", "horse")}
    assert by_category["car"] > by_category["real_estate"] > by_category["horse"] > 0
    assert set(listings.values_list("currency", flat=True)) == {"KGS", "USD", "KZT"}
    assert len(set(listings.values_list("city", flat=True))) >= 10
    assert listings.filter(status=Status.ACTIVE).count() > listings.count() / 2
    for status in (Status.PENDING_REVIEW, Status.SOLD, Status.DRAFT):
        assert listings.filter(status=status).exists()
    assert not listings.filter(cover_image="").exists()  # every card has a photo
    videos = ListingMedia.objects.filter(kind=MediaKind.VIDEO)
    assert 1 <= videos.count() <= 5
    assert not videos.exclude(listing__status=Status.ACTIVE).exists()
    assert demo_catalogue.DEMO_USERS[0][0] in set(listings.values_list("author__phone", flat=True))

    moderator = User.objects.get(phone=DEMO_MODERATOR_PHONE)
    assert moderator.role == Role.MODERATOR
    assert moderator.check_password(DEMO_MODERATOR_PASSWORD)
    assert DEMO_MODERATOR_PASSWORD in output
    assert moderation_queue(user=moderator).exists()

    threads = Thread.objects.all()
    assert threads.count() >= 20
    assert all(thread.last_seq >= 2 for thread in threads)
    businesses = set(threads.values_list("listing__business", flat=True)) - {None}
    assert len(businesses) == 2  # a thread with each
    assert Message.objects.exclude(sender=F("thread__buyer")).exists()  # the seller side answers

    boosts = Promotion.objects.filter(status=PromotionStatus.ACTIVE, ends_at__gt=timezone.now())
    assert boosts.count() >= 3
    assert all(boost.listing.boosted_until for boost in boosts)


def test_a_second_run_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_catalogue, "CATALOGUE_SIZE", 40)
    seed()
    before = counts()

    seed()

    assert counts() == before
    assert Listing.objects.filter(client_id__startswith="demo-catalogue-").count() == 40


def markdown_table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = [f"| {' | '.join(TABLE_HEADER)} |", "| --- | --- | --- | --- |"]
    lines += [f"| `{phone}` | {name} | {role} | {has} |" for phone, name, role, has in rows]
    return "\n".join(lines)


def check_the_demo_table(output: str) -> None:
    """The command prints every demo account, and README.md repeats the same table."""
    rows = demo_account_rows()
    phones = [row[0] for row in rows]
    assert phones[:4] == [
        DEMO_ADMIN_PHONE,
        DEMO_MODERATOR_PHONE,
        DEMO_BUYER_PHONE,
        DEMO_SELLER_PHONE,
    ]
    # Every demo account exists, and none was created by a login attempt on a wrong number.
    assert len(rows) == User.objects.count() == len(set(phones))
    for line in format_table(rows, TABLE_HEADER):
        assert line in output
    block = re.search(
        r"<!-- demo-accounts -->\n(.*?)\n<!-- /demo-accounts -->", README.read_text(), re.S
    )
    assert block, "README.md has no demo-accounts table"
    expected = markdown_table(rows)
    assert block.group(1) == expected, f"README's demo table should be:\n{expected}"


def sms_login(phone: str, django_capture_on_commit_callbacks: Any) -> APIClient:
    """The app's login by SMS code, without a consent: a demo account needs none."""
    client = APIClient()
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/auth/otp/request/", {"phone": phone}, format="json")
    assert response.status_code == 202
    code = re.search(r"\d{6}", sms.outbox[-1].text)
    assert code
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/auth/otp/verify/", {"phone": phone, "code": code[0]}, format="json"
        )
    assert response.status_code == 200, response.content
    assert response.json()["is_new_user"] is False
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def test_the_demo_buyer_and_seller_log_in_and_use_the_app_at_once(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(demo_catalogue, "CATALOGUE_SIZE", 40)
    seed()

    seller = sms_login(DEMO_SELLER_PHONE, django_capture_on_commit_callbacks)
    me = seller.get("/api/v1/me/").json()
    assert me["consent_required"] is False
    assert me["listing_quota"]["used"] < me["listing_quota"]["limit"]
    created = seller.post(
        "/api/v1/listings/",
        {
            "category": "horse",
            "title": "Кобыла, 6 лет, дойная",
            "price": "90000",
            "currency": "KGS",
            "city": "Бишкек",
            "details": {"breed": "Кыргызская", "sex": "mare", "birth_year": 2020},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert seller.get("/api/v1/chat/threads/").json()["results"]

    buyer = sms_login(DEMO_BUYER_PHONE, django_capture_on_commit_callbacks)
    assert buyer.get("/api/v1/me/").json()["consent_required"] is False
    assert len(buyer.get("/api/v1/me/favorites/").json()["results"]) == 3
    threads = buyer.get("/api/v1/chat/threads/").json()["results"]
    assert [thread["other_party"]["name"] for thread in threads] == ["Демо Продавец"]
