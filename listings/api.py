"""The listing shapes other apps' API answers embed: the card (a chat thread's listing) and the
full listing (the moderation queue's). Their fields are the contract's; other apps take them
from here, never from `listings.serializers`, whose modules are listings' own to rearrange."""

from .serializers.cards import ListingCardSerializer
from .serializers.listings import ListingDetailSerializer

__all__ = ("ListingCardSerializer", "ListingDetailSerializer")
