"""The listing's boost period, which the promotions app keeps (listings cannot import it).

`[boost_started_at, boosted_until)` is the listing's current continuous boost; the feed asks
whether a listing was boosted at the moment a scroll began, so both ends matter.
"""

from datetime import datetime

from ..models import Listing


def listing_set_boost(
    *, listing: Listing, started_at: datetime | None, until: datetime | None
) -> None:
    """Set the boost period of a listing whose row the caller holds locked.

    A narrow update of the two columns: the boost is not an edit of the listing (no
    `updated_at`, no review), and other columns stay as their own services left them.
    """
    Listing.objects.filter(pk=listing.pk).update(boost_started_at=started_at, boosted_until=until)
    listing.boost_started_at, listing.boosted_until = started_at, until
