"""What `listings` contributes to `business` (the registry pattern of accounts/hooks.py).

`business` sits below `listings` and cannot import it, yet the public page shows how many
listings a business has active, a canceled subscription pauses the listings beyond the free
limit and a payment restores them. `listings` registers an adapter in its AppConfig.ready();
without one (business alone) there are no listings to count, pause or restore.
"""

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import Business


class BusinessListings(Protocol):
    def active_count(self, business: "Business") -> int:
        """How many of the business's listings are active."""
        ...

    def pause_beyond(self, business: "Business", *, keep: int, actor: Any) -> int:
        """Pause the active listings beyond the oldest `keep` (newest first); how many.
        The caller holds the business's row locked."""
        ...

    def resume_paused(self, business: "Business", *, actor: Any) -> int:
        """Return every paused listing to active; how many. The caller holds the business's
        row locked."""
        ...


class _NoListings:
    def active_count(self, business: "Business") -> int:
        return 0

    def pause_beyond(self, business: "Business", *, keep: int, actor: Any) -> int:
        return 0

    def resume_paused(self, business: "Business", *, actor: Any) -> int:
        return 0


_listings: list[BusinessListings] = []


def register_listings(adapter: BusinessListings) -> None:
    if all(type(registered) is not type(adapter) for registered in _listings):
        _listings.append(adapter)


def listings() -> BusinessListings:
    return _listings[-1] if _listings else _NoListings()
