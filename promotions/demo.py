"""Demo data for `seed_demo`: the first demo listing and the catalogue's listings with a video
boosted, on plans of 3, 7 and 30 days, each paid through the `test` provider's signed callback
as a real payment is. Idempotent: a listing that has a promotion is left alone."""

from django.conf import settings
from django.core.management.base import OutputWrapper

PLANS = ("boost_7", "boost_3", "boost_30")


def seed_promotions(out: OutputWrapper) -> None:
    from listings.demo.catalogue import featured_client_ids
    from listings.models import Listing, Status

    from .models import Plan
    from .providers import test as test_provider
    from .services.payments import webhook_apply
    from .services.promotions import promotion_create

    if settings.PAYMENT_DEFAULT_PROVIDER != "test":
        out.write("  promotions: skipped (the test payment provider is off)")
        return
    plans = {plan.code: plan for plan in Plan.objects.filter(code__in=PLANS)}
    created = existed = 0
    for index, client_id in enumerate(["demo-0", *featured_client_ids()]):
        listing = Listing.objects.filter(client_id=client_id, status=Status.ACTIVE).first()
        plan = plans.get(PLANS[index % len(PLANS)])
        if listing is None or plan is None:
            continue
        if listing.promotions.exists():
            existed += 1
            continue
        promotion = promotion_create(user=listing.author, listing=listing, plan=plan)
        body = test_provider.checkout_callback(promotion.payment, "succeeded")
        event = test_provider.parse_signed(body, test_provider.sign(body))
        webhook_apply(provider="test", event=event)
        created += 1
    out.write(f"  promotions: {created} boosts bought, {existed} existed")
