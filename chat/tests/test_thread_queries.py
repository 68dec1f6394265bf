"""Who takes part in which thread, read as a UNION of "as buyer" and "on the seller side": the
same threads as before for every kind of user, found through indexes."""

from typing import Any

import pytest

from accounts.tests.factories import UserFactory
from business.models import Business, Membership
from business.tests.factories import MembershipFactory
from chat.selectors import thread_list, threads_of_user
from chat.tests.conftest import active_listing, open_thread
from listings.models import Listing, Status
from tests.plans import crowd, whole_reads

pytestmark = pytest.mark.django_db


def ids_of(threads: Any) -> set[str]:
    return {str(pk) for pk in threads.values_list("pk", flat=True)}


def test_each_takes_part_in_his_threads_as_buyer_and_as_seller(
    author: Any, buyer: Any, dealer: Business, dealer_admin: Any, dealer_seller: Any
) -> None:
    # Given a private listing and two of a dealer, one written by a seller who then left,
    # with threads opened by a buyer and by the dealer's own admin (buying privately)
    former = UserFactory()
    MembershipFactory(business=dealer, user=former, role="seller")
    personal = active_listing(author)
    of_dealer = active_listing(dealer_seller, business_id=str(dealer.pk))
    by_former = active_listing(former, business_id=str(dealer.pk))
    on_personal = open_thread(buyer, personal)
    on_dealer = open_thread(buyer, of_dealer)
    on_former = open_thread(buyer, by_former)
    admin_buys = open_thread(dealer_admin, personal)
    Membership.objects.filter(business=dealer, user=former).delete()
    # ... and a listing taken off sale since: its seller side keeps the thread
    Listing.objects.filter(pk=of_dealer.pk).update(status=Status.ARCHIVED)
    team = {str(on_dealer.pk), str(on_former.pk)}

    # Then
    assert ids_of(threads_of_user(buyer)) == {*team, str(on_personal.pk)}
    assert ids_of(threads_of_user(author)) == {str(on_personal.pk), str(admin_buys.pk)}
    assert ids_of(threads_of_user(dealer_admin)) == {*team, str(admin_buys.pk)}
    assert ids_of(threads_of_user(dealer_seller)) == team
    assert ids_of(threads_of_user(former)) == set()
    assert ids_of(threads_of_user(UserFactory())) == set()


def test_the_thread_list_is_read_through_indexes(
    author: Any, buyer: Any, dealer: Business, dealer_admin: Any, dealer_seller: Any
) -> None:
    open_thread(buyer, active_listing(author))
    open_thread(buyer, active_listing(dealer_seller, business_id=str(dealer.pk)))
    crowd()

    for user in (buyer, author, dealer_admin, dealer_seller):
        assert whole_reads(thread_list(user=user).order_by("-last_activity_at")[:20]) == []
