"""`seed_demo` loads the whole demo — staff, a moderator, businesses, the generated catalogue with
photos and videos, the moderation queue, chat threads and paid boosts — and a second run
changes nothing."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from accounts.demo import DEMO_MODERATOR_PASSWORD, DEMO_MODERATOR_PHONE
from accounts.models import AuditEntry, Role, User
from chat.models import Message, Thread
from listings import demo_catalogue
from listings.models import Listing, ListingMedia, MediaKind, Status
from moderation.selectors import moderation_queue
from promotions.models import Payment, Promotion, PromotionStatus

pytestmark = pytest.mark.django_db


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
