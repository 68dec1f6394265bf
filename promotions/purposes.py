"""What a payment pays for, and what happens to that thing when the payment's state changes.

The webhook code knows payments only; each purpose registers a handler for its own objects
(`promotion` here, in PromotionsConfig.ready(); the business app's `subscription` the same
way). A handler runs inside the transaction that changes the payment, with the payment row
locked, so the payment and its purpose change together or not at all.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .models import Payment


class PurposeHandler(Protocol):
    def succeeded(self, payment: "Payment", *, actor: object | None) -> None:
        """The money arrived (also after the payment failed or expired: it is honoured)."""
        ...

    def failed(self, payment: "Payment", *, actor: object | None, expired: bool) -> None:
        """The provider refused the payment, or nobody paid in time (`expired`)."""
        ...

    def refunded(self, payment: "Payment", *, actor: object | None) -> None:
        """The money went back to the payer."""
        ...


@dataclass(frozen=True)
class Purpose:
    code: str
    handler: PurposeHandler


_purposes: dict[str, Purpose] = {}


def register_purpose(code: str, handler: PurposeHandler) -> None:
    _purposes[code] = Purpose(code=code, handler=handler)


def get_purpose(code: str) -> Purpose:
    """Raises LookupError for a purpose nobody registered."""
    try:
        return _purposes[code]
    except KeyError:
        raise LookupError(f"No payment purpose {code!r} is registered") from None


def purpose_codes() -> list[str]:
    return sorted(_purposes)
