"""Demo data for `seed_demo`: one demo listing boosted for a week, paid through the `test`
provider. Idempotent: a listing that has a promotion is left alone."""

from django.conf import settings
from django.core.management.base import OutputWrapper


def seed_promotions(out: OutputWrapper) -> None:
    from listings.models import Listing, Status

    from .models import Plan
    from .providers import test as test_provider
    from .services.payments import webhook_apply
    from .services.promotions import promotion_create

    listing = Listing.objects.filter(client_id="demo-0", status=Status.ACTIVE).first()
    plan = Plan.objects.filter(code="boost_7").first()
    if listing is None or plan is None or settings.PAYMENT_DEFAULT_PROVIDER != "test":
        out.write("  promotions: skipped (no demo listing, plan or test provider)")
        return
    if listing.promotions.exists():
        out.write("  promotions: exist")
        return
    promotion = promotion_create(user=listing.author, listing=listing, plan=plan)
    body = test_provider.checkout_callback(promotion.payment, "succeeded")
    webhook_apply(provider="test", event=test_provider.parse_signed(body, test_provider.sign(body)))
    out.write(f"  promotions: “{listing.title}” boosted for {plan.days} days")
