"""`manage.py expire_promotions` for staff, with `--dry-run`."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from promotions.models import Promotion, PromotionStatus

from .conftest import active_listing, paid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plans")]


def ended(author: Any) -> Promotion:
    promotion = paid(author, active_listing(author))
    shift = (promotion.ends_at - promotion.starts_at) + timedelta(minutes=1)
    Promotion.objects.filter(pk=promotion.pk).update(
        starts_at=promotion.starts_at - shift, ends_at=promotion.ends_at - shift
    )
    return promotion


def test_a_dry_run_lists_what_would_expire_and_changes_nothing(author: Any) -> None:
    promotion = ended(author)
    out = StringIO()

    call_command("expire_promotions", "--dry-run", stdout=out)

    assert str(promotion.pk) in out.getvalue()
    assert "1 promotion(s) would expire" in out.getvalue()
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.ACTIVE


def test_the_command_expires_them(author: Any) -> None:
    promotion = ended(author)
    running = paid(author, active_listing(author))
    out = StringIO()

    call_command("expire_promotions", stdout=out)
    call_command("expire_promotions", stdout=out)

    assert "1 promotion(s) expired." in out.getvalue()
    assert "0 promotion(s) expired." in out.getvalue()
    promotion.refresh_from_db()
    running.refresh_from_db()
    assert (promotion.status, running.status) == (PromotionStatus.EXPIRED, PromotionStatus.ACTIVE)
