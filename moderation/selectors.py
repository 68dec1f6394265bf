"""Reads for moderators: the queue and a listing's history."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from statistics import median
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import AuditEntry
from listings.models import Listing, Report, ReportStatus, Status
from listings.selectors import with_card_data

from .models import EventKind, ModerationEvent

# A listing the AI has not judged yet sorts as if of middling risk.
UNKNOWN_RISK = 50


def _latest_precheck() -> QuerySet[ModerationEvent]:
    return ModerationEvent.objects.filter(
        listing=OuterRef("pk"), kind=EventKind.AI_PRECHECK
    ).order_by("-created_at")


def moderation_queue(*, user: Any) -> QuerySet[Listing]:
    """Listings waiting for review and active listings with open reports, riskiest and
    oldest first. Each carries `precheck_id`, `risk`, `reports_count` and `waiting_since`."""
    open_reports = Report.objects.filter(listing=OuterRef("pk"), status=ReportStatus.OPEN)
    first_open_report = open_reports.order_by("created_at").values("created_at")[:1]
    open_count = open_reports.order_by().values("listing").annotate(n=Count("pk")).values("n")
    listings = (
        Listing.objects.alias(has_open_reports=Exists(open_reports))
        .filter(Q(status=Status.PENDING_REVIEW) | Q(status=Status.ACTIVE, has_open_reports=True))
        .annotate(
            precheck_id=Subquery(_latest_precheck().values("pk")[:1]),
            risk=Coalesce(
                Subquery(_latest_precheck().values("risk_score")[:1]), Value(UNKNOWN_RISK)
            ),
            reports_count=Coalesce(Subquery(open_count[:1]), Value(0)),
            # An active listing waits since it was first reported, not since its old review.
            waiting_since=Case(
                When(status=Status.ACTIVE, then=Subquery(first_open_report)),
                default=Coalesce(F("review_requested_at"), F("updated_at")),
            ),
        )
    )
    return with_card_data(listings, user=user).order_by(  # type: ignore[misc]
        "-risk", "waiting_since", "id"
    )


def latest_prechecks(listing_ids: list[Any]) -> dict[Any, ModerationEvent]:
    events = ModerationEvent.objects.filter(
        listing_id__in=listing_ids, kind=EventKind.AI_PRECHECK
    ).order_by("listing_id", "-created_at")
    latest: dict[Any, ModerationEvent] = {}
    for event in events:
        latest.setdefault(event.listing_id, event)
    return latest


@dataclass(frozen=True)
class HistoryItem:
    kind: str
    created_at: datetime
    actor_id: Any
    verdict: str | None = None
    risk_score: int | None = None
    reasons: list[str] | None = None
    reason_codes: list[str] | None = None
    source: str | None = None
    reason_code: str | None = None
    note: str | None = None


SUBMISSIONS = {
    "listing.submitted": "submitted",
    "listing.resubmitted": "resubmitted",
    "listing.edited": "resubmitted",
}


def moderation_history(*, listing: Listing) -> list[HistoryItem]:
    """Everything that happened to the listing in moderation, oldest first: submissions
    (from the audit log), user reports, AI pre-checks and human decisions."""
    items = [
        HistoryItem(
            kind=event.kind,
            created_at=event.created_at,
            actor_id=event.actor_id,
            verdict=event.verdict or None,
            risk_score=event.risk_score,
            reasons=list(event.reasons) or None,
            reason_codes=list(event.reason_codes) or None,
            source=event.source or None,
            reason_code=event.reason_code or None,
            note=event.note or None,
        )
        for event in ModerationEvent.objects.filter(listing=listing)
    ]
    items += [
        HistoryItem(
            kind="report",
            created_at=report.created_at,
            actor_id=report.reporter_id,
            reason_code=report.reason,
            note=report.comment or None,
        )
        for report in Report.objects.filter(listing=listing)
    ]
    items += [
        HistoryItem(
            kind=SUBMISSIONS[entry.action], created_at=entry.created_at, actor_id=entry.actor_id
        )
        for entry in AuditEntry.objects.filter(
            target_type="listings.listing",
            target_id=str(listing.pk),
            action__in=SUBMISSIONS,
        )
    ]
    return sorted(items, key=lambda item: item.created_at)


def similar_median_price_kgs(listing: Listing) -> Any:
    """The median KGS price of up to 200 recent active listings like this one, or None."""
    similar = Listing.objects.filter(status=Status.ACTIVE, category=listing.category).exclude(
        pk=listing.pk
    )
    if listing.category == "car":
        car = listing.car
        similar = similar.filter(
            car__make__iexact=car.make,
            car__model__iexact=car.model,
            car__year__gte=car.year - 2,
            car__year__lte=car.year + 2,
        )
    elif listing.category == "real_estate":
        # Property prices compare per square metre.
        estate = listing.real_estate
        similar = similar.filter(
            real_estate__property_type=estate.property_type,
            real_estate__deal_type=estate.deal_type,
            city__iexact=listing.city,
        )
        rows = similar.values_list("price_kgs", "real_estate__area_m2")[:200]
        per_m2 = [Decimal(price) / max(Decimal(area), Decimal(1)) for price, area in rows]
        return median(per_m2) * estate.area_m2 if len(per_m2) >= 5 else None
    prices = list(similar.order_by("-published_at").values_list("price_kgs", flat=True)[:200])
    return median(prices) if len(prices) >= 5 else None
