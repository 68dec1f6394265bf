"""What `listings` does for `business` (registered in ListingsConfig.ready() through
business.hooks, since business sits below listings and cannot import it): count a business's
active listings, pause those beyond the free limit when its subscription is canceled, and
restore them when it pays."""

from typing import Any

from business.models import Business

from ..locks import listings_for_update
from ..models import Listing, Status
from .listings import _move
from .quota import quota_room_of_business


class BusinessListings:
    def active_count(self, business: Business) -> int:
        return Listing.objects.filter(business=business, status=Status.ACTIVE).count()

    def pause_beyond(self, business: Business, *, keep: int, actor: Any) -> int:
        """The oldest `keep` active listings stay (fewer for a business that never paid: what
        its creator's personal pool has room for); the newer ones are paused. The caller holds
        the business's row locked (business before listings, as everywhere)."""
        keep = min(keep, quota_room_of_business(business))
        active = list(
            listings_for_update()
            .filter(business=business, status=Status.ACTIVE)
            .order_by("published_at", "created_at", "id")
        )
        for listing in active[keep:]:
            _move(listing, Status.PAUSED, actor=actor, data={"reason": "subscription_canceled"})
        return max(0, len(active) - keep)

    def resume_paused(self, business: Business, *, actor: Any) -> int:
        paused = list(
            listings_for_update()
            .filter(business=business, status=Status.PAUSED)
            .order_by("published_at", "created_at", "id")
        )
        for listing in paused:
            _move(listing, Status.ACTIVE, actor=actor, data={"reason": "subscription_paid"})
        return len(paused)
