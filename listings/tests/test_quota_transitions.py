"""The personal quota holds on every way back into the count, not only at creation, and a
business that never paid shares its creator's quota instead of adding five free listings."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from business.models import Business, SubscriptionPlan
from business.services.subscriptions import subscriptions_lapse
from business.tests.conftest import make_business
from listings.models import QUOTA_STATUSES, Listing
from listings.selectors import personal_pool_q
from listings.tests.conftest import add_image, client_for, create
from tests.helpers import assert_error, run_concurrently
from tests.plans import crowd, indexes_read, whole_reads


def draft(user: Any, **changes: Any) -> str:
    response = create(user, **changes)
    assert response.status_code == 201, response.content
    add_image(response.json()["id"])
    return str(response.json()["id"])


def submit(user: Any, listing_id: str) -> Any:
    return client_for(user).post(f"/api/v1/listings/{listing_id}/submit/")


def reject(moderator: Any, listing_id: str) -> None:
    response = client_for(moderator).post(
        f"/api/v1/moderation/listings/{listing_id}/reject/",
        {"reason_code": "other", "note": "Blurry photo"},
        format="json",
    )
    assert response.status_code == 200, response.content


def used(user: Any) -> dict[str, int]:
    return client_for(user).get("/api/v1/me/").json()["listing_quota"]


def held(user: Any) -> int:
    return Listing.objects.filter(author=user, status__in=QUOTA_STATUSES).count()


@pytest.mark.django_db
def test_a_rejected_listing_cannot_come_back_over_the_limit(author: Any, moderator: Any) -> None:
    listings = [draft(author) for _ in range(5)]
    for listing_id in listings:
        assert submit(author, listing_id).status_code == 200
    reject(moderator, listings[0])
    sixth = draft(author)  # the rejected one freed a place

    assert_error(submit(author, listings[0]), 403, "listing_limit_reached")

    assert Listing.objects.get(pk=listings[0]).status == "rejected"
    assert used(author) == {"used": 5, "limit": 5}
    assert submit(author, sixth).status_code == 200


@pytest.mark.django_db
def test_a_rejected_listing_comes_back_when_there_is_room(author: Any, moderator: Any) -> None:
    first = draft(author)
    submit(author, first)
    reject(moderator, first)

    response = submit(author, first)

    assert response.status_code == 200
    assert response.json()["status"] == "pending_review"


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_creates_and_resubmissions_end_at_exactly_the_limit() -> None:
    author = UserFactory()
    moderator = user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None)
    rejected = []
    for _ in range(5):
        listing_id = draft(author)
        submit(author, listing_id)
        reject(moderator, listing_id)
        rejected.append(listing_id)
    draft(author)  # one place taken, four free

    def act(index: int) -> int:
        if index < len(rejected):
            return int(submit(author, rejected[index]).status_code)
        return int(create(author).status_code)

    statuses = run_concurrently(20, act)

    assert held(author) == 5
    assert sorted(status for status in statuses if status != 403) in (
        sorted(found)
        for found in ([200] * resubmitted + [201] * (4 - resubmitted) for resubmitted in range(5))
    )
    assert statuses.count(403) == 16
    assert used(author) == {"used": 5, "limit": 5}


# --- Businesses that never paid ---------------------------------------------------------------


def business_draft(user: Any, business: Business) -> Any:
    return create(user, business_id=str(business.pk))


@pytest.mark.django_db
def test_businesses_without_a_trial_or_payment_share_their_creator_s_five() -> None:
    owner = UserFactory()
    trial = make_business(owner, name="First Motors")
    second = make_business(owner, name="Second Motors")
    third = make_business(owner, name="Third Motors")
    assert (trial.subscription_status, second.subscription_status) == ("trial", "past_due")

    for _ in range(6):  # the trial is uncapped and does not touch the personal quota
        assert business_draft(owner, trial).status_code == 201
    for _ in range(2):
        assert draft(owner)
    for _ in range(2):
        assert business_draft(owner, second).status_code == 201
    assert business_draft(owner, third).status_code == 201

    assert_error(business_draft(owner, third), 403, "listing_limit_reached")
    assert_error(business_draft(owner, second), 403, "listing_limit_reached")
    assert_error(create(owner), 403, "listing_limit_reached")
    assert used(owner) == {"used": 5, "limit": 5}


@pytest.mark.django_db
def test_a_seller_of_an_unpaid_business_spends_its_creator_s_quota() -> None:
    owner, seller = UserFactory(), UserFactory()
    make_business(owner, name="First Motors")
    unpaid = make_business(owner, name="Second Motors")
    unpaid.memberships.create(user=seller, role="seller")
    for _ in range(4):
        draft(owner)

    assert business_draft(seller, unpaid).status_code == 201
    assert_error(business_draft(seller, unpaid), 403, "listing_limit_reached")
    assert used(seller) == {"used": 0, "limit": 5}
    assert used(owner) == {"used": 5, "limit": 5}


@pytest.mark.django_db
def test_a_business_that_paid_once_keeps_its_own_five_when_it_lapses() -> None:
    owner = UserFactory()
    make_business(owner, name="First Motors")
    lapsed = make_business(owner, name="Second Motors")
    Business.objects.filter(pk=lapsed.pk).update(subscription_plan=SubscriptionPlan.objects.first())
    for _ in range(5):
        draft(owner)

    statuses = [business_draft(owner, lapsed).status_code for _ in range(6)]

    assert statuses == [201] * 5 + [403]


@pytest.mark.django_db
def test_a_trial_that_ends_unpaid_keeps_only_what_the_creator_s_quota_has_room_for() -> None:
    owner = UserFactory()
    trial = make_business(owner, name="First Motors")
    ids = [business_draft(owner, trial).json()["id"] for _ in range(6)]
    Listing.objects.filter(pk__in=ids).update(status="active", published_at=timezone.now())
    for _ in range(3):
        draft(owner)
    Business.objects.filter(pk=trial.pk).update(
        current_period_end=timezone.now() - timedelta(days=30)
    )

    subscriptions_lapse(now=timezone.now() - timedelta(days=29))  # past due
    subscriptions_lapse()  # the grace period is over: canceled

    trial.refresh_from_db()
    assert trial.subscription_status == "canceled"
    statuses = sorted(Listing.objects.filter(business=trial).values_list("status", flat=True))
    assert statuses == ["active"] * 2 + ["paused"] * 4
    assert used(owner) == {"used": 5, "limit": 5}


def lapse_to_canceled(business: Business) -> None:
    Business.objects.filter(pk=business.pk).update(
        current_period_end=timezone.now() - timedelta(days=30)
    )
    subscriptions_lapse(now=timezone.now() - timedelta(days=29))
    subscriptions_lapse()
    business.refresh_from_db()
    assert business.subscription_status == "canceled"


@pytest.mark.django_db
def test_drafts_made_in_a_trial_cannot_go_to_review_past_the_quota_after_it() -> None:
    owner = UserFactory()
    trial = make_business(owner, name="First Motors")
    drafts = [draft(owner, business_id=str(trial.pk)) for _ in range(7)]
    lapse_to_canceled(trial)

    assert_error(submit(owner, drafts[0]), 403, "listing_limit_reached")

    for listing_id in drafts[5:]:
        assert client_for(owner).delete(f"/api/v1/listings/{listing_id}/").status_code == 204
    assert submit(owner, drafts[0]).status_code == 200


@pytest.mark.django_db
def test_listings_in_review_from_a_trial_are_approved_paused_past_the_quota(
    moderator: Any,
) -> None:
    owner = UserFactory()
    trial = make_business(owner, name="First Motors")
    waiting = [draft(owner, business_id=str(trial.pk)) for _ in range(7)]
    for listing_id in waiting:
        assert submit(owner, listing_id).status_code == 200
    lapse_to_canceled(trial)

    statuses = []
    for listing_id in waiting:
        response = client_for(moderator).post(f"/api/v1/moderation/listings/{listing_id}/approve/")
        assert response.status_code == 200, response.content
        statuses.append(response.json()["status"])

    # Each approval that would leave the pool over 5 pauses instead: 5 end up live.
    assert statuses == ["paused", "paused"] + ["active"] * 5
    assert Listing.objects.filter(business=trial, status="active").count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["removed", "left", "demoted"])
def test_the_next_admin_takes_over_an_unpaid_business_s_quota_from_its_creator(
    how: str,
) -> None:
    owner, partner = UserFactory(), UserFactory()
    make_business(owner, name="First Motors")
    unpaid = make_business(owner, name="Second Motors")
    unpaid.memberships.create(user=partner, role="admin")
    for _ in range(3):
        assert business_draft(owner, unpaid).status_code == 201
    member = f"/api/v1/business/{unpaid.pk}/members/{owner.pk}/"

    if how == "removed":
        response = client_for(partner).delete(member)
    elif how == "left":
        response = client_for(owner).delete(member)
    else:
        response = client_for(partner).patch(member, {"role": "seller"}, format="json")

    assert response.status_code in (200, 204), response.content
    assert used(owner) == {"used": 0, "limit": 5}
    assert used(partner) == {"used": 3, "limit": 5}
    for _ in range(2):
        assert business_draft(partner, unpaid).status_code == 201
    assert_error(business_draft(partner, unpaid), 403, "listing_limit_reached")
    assert_error(create(partner), 403, "listing_limit_reached")


@pytest.mark.django_db
def test_a_paused_listing_edited_goes_through_review_before_it_can_be_live_again() -> None:
    owner = UserFactory()
    trial = make_business(owner, name="First Motors")
    ids = [business_draft(owner, trial).json()["id"] for _ in range(6)]
    for listing_id in ids:
        add_image(listing_id)
    Listing.objects.filter(pk__in=ids).update(status="active", published_at=timezone.now())
    lapse_to_canceled(trial)
    (paused,) = Listing.objects.filter(business=trial, status="paused").values_list("pk", flat=True)
    edit = {"title": "Only prepayment to card, WhatsApp +996555123456"}

    # At the limit, the edit would bring it back into the count: refused, nothing changed.
    at_limit = client_for(owner).patch(f"/api/v1/listings/{paused}/", edit, format="json")
    assert_error(at_limit, 403, "listing_limit_reached")
    assert Listing.objects.get(pk=paused).status == "paused"

    client_for(owner).delete(f"/api/v1/listings/{ids[0]}/")
    response = client_for(owner).patch(f"/api/v1/listings/{paused}/", edit, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending_review"


@pytest.mark.django_db
@pytest.mark.parametrize("unpaid_businesses", [0, 2])
def test_the_personal_pool_is_read_through_indexes(unpaid_businesses: int) -> None:
    """`/me`, every create and every submit count it: as a subquery inside the OR it read the
    whole listings table (40 ms at 100,000 listings)."""
    owner = UserFactory()
    make_business(owner, name="First Motors")
    for index in range(unpaid_businesses):
        business_draft(owner, make_business(owner, name=f"Motors {index}"))
    draft(owner)
    crowd()

    pool = Listing.objects.filter(personal_pool_q(owner.pk), status__in=QUOTA_STATUSES)

    assert pool.count() == 1 + unpaid_businesses
    assert whole_reads(pool) == []
    # Found through the author's index, not through one on status, which holds most rows.
    assert "listing_author_status_idx" in indexes_read(pool)
