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

from business.permissions import member_business_ids

from .models import Listing, Status


def seller_side_q(user: Any) -> Q:
    """The seller side as a condition on one listing (`pk=...`); to find a user's listings,
    use `seller_side_ids`."""
    return Q(business__isnull=True, author=user) | Q(business__in=member_business_ids(user))


def seller_side_ids(user: Any) -> QuerySet[Listing, Any]:
    """The ids of every listing (archived too) on `user`'s seller side, for `pk__in`.

    The same rows as `seller_side_q`, written as a UNION ALL of its two halves — personal
    listings by author, and the listings of the businesses they are a member of — because
    PostgreSQL cannot use an index for an OR across the membership join: it read the whole
    listings table for it (70-90 ms at 100,000 listings); each half alone is an index scan.
    The halves never overlap (a listing has a business or not).
    """
    # order_by(): no model's default ordering in the halves (a sort for nothing on PostgreSQL,
    # an error on SQLite, which refuses ORDER BY inside a compound statement).
    personal = Listing.objects.filter(business__isnull=True, author=user).order_by()
    of_businesses = Listing.objects.filter(business__in=member_business_ids(user)).order_by()
    return personal.values("pk").union(of_businesses.values("pk"), all=True)


def listings_visible_to(user: Any) -> QuerySet[Listing]:
    listings = Listing.objects.all()
    if user is None or not user.is_authenticated:
        return listings.filter(status=Status.ACTIVE)
    if user.is_moderator:
        return listings
    own = Q(pk__in=seller_side_ids(user)) & ~Q(status=Status.ARCHIVED)
    return listings.filter(Q(status=Status.ACTIVE) | own)


def listings_editable_by(user: Any) -> QuerySet[Listing]:
    if user is None or not user.is_authenticated:
        return Listing.objects.none()
    return Listing.objects.filter(pk__in=seller_side_ids(user)).exclude(status=Status.ARCHIVED)
