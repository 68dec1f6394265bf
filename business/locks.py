"""Row locks on businesses and their rows; every `select_for_update` of this app is here.

The project takes rows in one order (docs/architecture.md, "Row locks"): a payment, then
users (by id), then a business (several: by id), its subscription order, memberships and
invitations, then listings. The users come first because a business that never paid counts
against its creator's personal quota, which listing creation locks user before business.
"""

from typing import Any

from django.db.models import QuerySet

from accounts.locks import lock_users

from .models import Business, Invitation, Membership, SubscriptionOrder
from .selectors import longest_admin


def businesses_for_update(*, skip_locked: bool = False) -> QuerySet[Business]:
    return Business.objects.select_for_update(skip_locked=skip_locked)


def lock_business(business_id: Any) -> Business:
    return businesses_for_update().get(pk=business_id)


def lock_quota_users(business_id: Any, *, leaving_user_id: Any) -> None:
    """Before a member stops being an admin of the business: lock the users whose personal
    quota `creator_pass_on` may move its listings between (before the business)."""
    creator_id = Business.objects.values_list("created_by_id", flat=True).get(pk=business_id)
    if creator_id is None or str(creator_id) != str(leaving_user_id):
        return
    successor = longest_admin(business_id=business_id, excluding=leaving_user_id)
    lock_users([pk for pk in (creator_id, successor) if pk is not None])


def lock_subscription_order(payment_id: Any) -> tuple[Business, SubscriptionOrder]:
    """The order paid by `payment_id` and its business, the business first."""
    business_id = SubscriptionOrder.objects.values_list("business_id", flat=True).get(
        payment_id=payment_id
    )
    business = lock_business(business_id)
    return business, subscription_orders_for_update().get(payment_id=payment_id)


def subscription_orders_for_update() -> QuerySet[SubscriptionOrder]:
    """The order's row only (`of`), whatever the query joins."""
    return SubscriptionOrder.objects.select_for_update(of=("self",))


def memberships_for_update() -> QuerySet[Membership]:
    return Membership.objects.select_for_update(of=("self",))


def invitations_for_update() -> QuerySet[Invitation]:
    return Invitation.objects.select_for_update()
