"""The free listing quota: which listings count together, against which limit, under which lock.

A user holds at most PERSONAL_LISTING_LIMIT listings in a counted status (draft, pending
review, active). The listings of a business they created that has never paid and is out of its
trial count in the same pool: opening businesses is no way around the limit. A business in its
trial or a paid period has no limit; one that paid before and lapsed keeps the limit of its own.

Every check runs under the owner's locks (`listings.locks.lock_owner`), so the count cannot
change between reading and writing.
"""

from django.conf import settings
from django.db.models import Q

from accounts.models import User
from business.models import UNCAPPED_STATUSES, Business

from ..exceptions import ListingLimitReached
from ..locks import lock_owner
from ..models import QUOTA_STATUSES, Listing
from ..selectors import personal_pool_q


def quota_has_room(*, author: User, business: Business | None, counted: bool = False) -> bool:
    """Whether the pool of (author, business) has room for one more counted listing, or with
    `counted`, for one it already counts (a draft submitted or a listing approved: a pool over
    the limit, as a lapsed trial leaves it, lets none of them on). Takes the owner's locks
    (`lock_owner`)."""
    if business is not None:
        status = Business.objects.values_list("subscription_status", flat=True).get(pk=business.pk)
        if status in UNCAPPED_STATUSES:
            # No lock: a payment resuming paused listings already holds the business's row.
            return True
    locked = lock_owner(author=author, business=business)
    if locked is None:
        pool = personal_pool_q(author.pk)
    elif locked.is_uncapped:
        return True
    elif locked.is_unfunded and locked.created_by_id is not None:
        pool = personal_pool_q(locked.created_by_id)
    else:
        pool = Q(business=locked)
    held = Listing.objects.filter(pool, status__in=QUOTA_STATUSES).count()
    limit = settings.PERSONAL_LISTING_LIMIT
    return held <= limit if counted else held < limit


def quota_check(*, author: User, business: Business | None, counted: bool = False) -> None:
    """ListingLimitReached when the pool has no room (see `quota_has_room`)."""
    if not quota_has_room(author=author, business=business, counted=counted):
        raise ListingLimitReached


def quota_room_of_business(business: Business) -> int:
    """How many active listings a lapsed business keeps: the limit, or for one that never paid,
    what is left of its creator's pool beside this business's own listings."""
    limit = settings.PERSONAL_LISTING_LIMIT
    if not business.is_unfunded or business.created_by_id is None:
        return limit
    others = (
        Listing.objects.filter(personal_pool_q(business.created_by_id), status__in=QUOTA_STATUSES)
        .exclude(business=business)
        .count()
    )
    return max(0, limit - others)
