"""Who sees and who edits a listing — the one place, like the original row-level security.

- anyone sees `active` listings;
- the seller side (the author of a personal listing; the admins and sellers of the business of
  a business listing — an author who left the business has lost it) sees every status but
  `archived`, and alone may change a listing;
- moderators see everything.
Anyone else gets 404, never 403: an answer must not reveal that a listing exists.
"""

from typing import Any

from django.db.models import Q, QuerySet

from .models import Listing, Status


def seller_side_q(user: Any) -> Q:
    return Q(business__isnull=True, author=user) | Q(business__memberships__user=user)


def listings_visible_to(user: Any) -> QuerySet[Listing]:
    listings = Listing.objects.all()
    if user is None or not user.is_authenticated:
        return listings.filter(status=Status.ACTIVE)
    if user.is_moderator:
        return listings
    own = Listing.objects.filter(seller_side_q(user)).exclude(status=Status.ARCHIVED)
    return listings.filter(Q(status=Status.ACTIVE) | Q(pk__in=own.values("pk")))


def listings_editable_by(user: Any) -> QuerySet[Listing]:
    if user is None or not user.is_authenticated:
        return Listing.objects.none()
    own = Listing.objects.filter(seller_side_q(user)).exclude(status=Status.ARCHIVED)
    return Listing.objects.filter(pk__in=own.values("pk"))
