"""Input and output shapes of listings; no business logic.

By topic: `details` (per category), `listings` (input, and the full output), `media`, `cards`
(the feed's and search's items) and `filters` (their query strings). The names other modules
import are re-exported here, so `listings.serializers` stays the one path they use.
"""

from .cards import CardPageSerializer, ListingCardSerializer
from .details import DETAILS_SERIALIZERS
from .filters import FeedFiltersSerializer, SearchFiltersSerializer
from .listings import (
    DETAIL_COLUMNS,
    ListingCreateSerializer,
    ListingDetailSerializer,
    ListingUpdateSerializer,
    listing_detail,
)
from .media import MediaSerializer

__all__ = [
    "DETAILS_SERIALIZERS",
    "DETAIL_COLUMNS",
    "CardPageSerializer",
    "FeedFiltersSerializer",
    "ListingCardSerializer",
    "ListingCreateSerializer",
    "ListingDetailSerializer",
    "ListingUpdateSerializer",
    "MediaSerializer",
    "SearchFiltersSerializer",
    "listing_detail",
]
