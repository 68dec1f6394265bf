"""What listings contributes to the staff commands: listings by status and created by
category (`marketplace_stats`), and a user's listings, favorites and reports
(`export_user_data`)."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.forms.models import model_to_dict

from .models import Category, Favorite, Listing, Report, Status
from .services.purge import MEDIA_FILES

LISTING_FIELDS = (
    "id",
    "business_id",
    "category",
    "status",
    "title",
    "description",
    "price",
    "currency",
    "is_negotiable",
    "city",
    "region",
    "latitude",
    "longitude",
    "hide_phone",
    "views_count",
    "favorites_count",
    "phone_reveals_count",
    "rejection_code",
    "rejection_note",
    "created_at",
    "updated_at",
    "published_at",
)


def listing_figures(now: datetime) -> dict[str, Any]:
    by_status = dict(
        Listing.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    windows = {"24h": now - timedelta(hours=24), "7d": now - timedelta(days=7)}
    created = Listing.objects.filter(created_at__gte=windows["7d"]).aggregate(
        **{
            f"{category}_{window}": Count("pk", filter=Q(category=category, created_at__gte=since))
            for category in Category.values
            for window, since in windows.items()
        }
    )
    return {
        "by_status": {status: by_status.get(status, 0) for status in Status.values},
        **{
            f"created_{window}": {c: created[f"{c}_{window}"] for c in Category.values}
            for window in windows
        },
    }


def _details(listing: Listing) -> dict[str, Any] | None:
    details = getattr(listing, listing.category, None)
    return model_to_dict(details, exclude=("listing",)) if details is not None else None


def listing_personal_data(user: Any) -> dict[str, Any]:
    """Every listing they wrote (archived ones too: they are kept), with its details and the
    names of its media files; their favorites and reports."""
    listings = (
        Listing.objects.filter(author=user)
        .select_related("car", "horse", "real_estate")
        .prefetch_related("media")
        .order_by("created_at")
    )
    return {
        "listings": [
            {
                **{field: getattr(listing, field) for field in LISTING_FIELDS},
                "details": _details(listing),
                "media": [
                    {
                        "kind": media.kind,
                        "files": [getattr(media, f).name for f in MEDIA_FILES if getattr(media, f)],
                        "created_at": media.created_at,
                    }
                    for media in listing.media.all()
                ],
            }
            for listing in listings
        ],
        "favorites": list(
            Favorite.objects.filter(user=user)
            .order_by("created_at")
            .values("listing_id", "listing__title", "created_at")
        ),
        "reports": list(
            Report.objects.filter(reporter=user)
            .order_by("created_at")
            .values("id", "listing_id", "reason", "comment", "status", "created_at", "closed_at")
        ),
    }
