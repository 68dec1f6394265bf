"""The review queue in the admin: its filters, its columns and each listing's read-only page.

The queue reads through `moderation.selectors`, exactly as the API's does; the decisions on it
live in `decisions`, the history panel in `events`.
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import display_for_field, flatten_fieldsets
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator, capfirst
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from listings.models import Listing, MediaKind, Report, ReportStatus, details_of

from ..models import EventKind, ModerationEvent, ReviewItem, Verdict
from ..selectors import latest_prechecks, moderation_queue
from .base import QueueRow, _is_moderator, _when
from .decisions import ReviewDecisionsAdmin
from .events import ModerationHistoryAdmin

RISK_BANDS = {
    "low": (_("Low (under 30)"), Q(risk__lt=30)),
    "medium": (_("Medium (30–69)"), Q(risk__gte=30, risk__lt=70)),
    "high": (_("High (70 and over)"), Q(risk__gte=70)),
}
AGES = {
    "hour": (_("Under an hour"), timedelta(hours=1)),
    "day": (_("Under 24 hours"), timedelta(hours=24)),
}
OLDER = "older"
NOT_CHECKED = "none"


def _attach_prechecks(listings: Iterable[QueueRow]) -> None:
    """Give each listing its latest AI verdict (or None), in one query."""
    rows = list(listings)
    prechecks = latest_prechecks([row.pk for row in rows])
    for row in rows:
        row.latest_precheck = prechecks.get(row.pk)


def _cover(listing: Listing) -> FieldFile | None:
    """The first photo's thumbnail or the first video's poster (media come prefetched)."""
    for media in listing.media.all():
        if media.kind == MediaKind.IMAGE:
            return media.thumbnail or media.file
        if media.kind == MediaKind.VIDEO and media.poster:
            return media.poster
    return None


class VerdictFilter(admin.SimpleListFilter):
    title = _("AI verdict")
    parameter_name = "verdict"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [*Verdict.choices, (NOT_CHECKED, _("Not checked yet"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == NOT_CHECKED:
            return queryset.filter(precheck_id__isnull=True)
        if value in Verdict.values:
            # The queue's `precheck_id` is the latest pre-check: filter on its verdict.
            latest = ModerationEvent.objects.filter(kind=EventKind.AI_PRECHECK, verdict=value)
            return queryset.filter(precheck_id__in=latest.values("pk"))
        return queryset


class RiskFilter(admin.SimpleListFilter):
    title = _("risk")
    parameter_name = "risk"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(key, label) for key, (label, _condition) in RISK_BANDS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        band = RISK_BANDS.get(self.value() or "")
        return queryset.filter(band[1]) if band else queryset


class AgeFilter(admin.SimpleListFilter):
    title = _("waiting")
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            *((key, label) for key, (label, _age) in AGES.items()),
            (OLDER, _("24 hours or more")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        now = timezone.now()
        if value in AGES:
            return queryset.filter(waiting_since__gt=now - AGES[value][1])
        if value == OLDER:
            return queryset.filter(waiting_since__lte=now - AGES["day"][1])
        return queryset


class ReviewQueueChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # Evaluates the page once; the template then iterates the same cached rows.
        _attach_prechecks(self.result_list)


@admin.register(ReviewItem)
class ReviewItemAdmin(ReviewDecisionsAdmin, ModerationHistoryAdmin):
    """The review queue, exactly as the API serves it: pending listings and reported active
    ones, riskiest then oldest. Every page is read-only; the actions decide."""

    list_display = (
        "thumbnail",
        "title",
        "category",
        "status",
        "ai_verdict",
        "risk",
        "reasons",
        "reports_count",
        "waiting",
        "seller",
    )
    list_display_links = ("title",)
    list_filter = ("category", VerdictFilter, RiskFilter, AgeFilter)
    search_fields = ("title", "description")
    list_per_page = 50
    change_form_template = "admin/moderation/reviewitem/change_form.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "category",
                    "status",
                    "seller",
                    "price_display",
                    "location",
                    "waiting",
                    "published_at",
                )
            },
        ),
        (_("Description"), {"fields": ("description", "details")}),
        (_("Media"), {"fields": ("media_gallery",)}),
        (_("AI pre-check"), {"fields": ("ai_precheck",)}),
        (_("Open reports"), {"fields": ("open_reports",)}),
        (_("History"), {"fields": ("history",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return flatten_fieldsets(self.fieldsets)  # every field: nothing is edited here

    # --- What the queue is, and who sees it -------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The same selector as the API: the same rows, annotations and order.
        return moderation_queue(user=request.user)

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        # Listing's own Meta.ordering (newest first) must not override the queue's order.
        return ("-risk", "waiting_since", "id")

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ReviewQueueChangeList

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        listing = super().get_object(request, object_id, from_field)
        if listing is not None:
            _attach_prechecks([listing])
        return listing

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_moderator(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_moderator(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # "Change" on the queue means "may decide" (the actions and buttons). Nobody edits a
        # listing here, so each listing's own page is read-only.
        return obj is None and _is_moderator(request) and super().has_change_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # listings are created by their sellers, through the app

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- The list's columns ----------------------------------------------------------------

    @admin.display(description=_("photo"))
    def thumbnail(self, row: QueueRow) -> str | None:
        picture = _cover(row)
        if picture is None:
            return None
        return format_html(
            '<img src="{}" alt="" width="64" height="48" style="object-fit: cover" loading="lazy">',
            picture.url,
        )

    @admin.display(description=_("AI verdict"))
    def ai_verdict(self, row: QueueRow) -> str | None:
        event = row.latest_precheck
        return event.get_verdict_display() if event is not None else None

    @admin.display(description=_("risk"), ordering="risk")
    def risk(self, row: QueueRow) -> str:
        if row.precheck_id is None:
            # Unchecked listings sort as middling risk; say the number is a placeholder.
            return format_html('<span title="{}">{}?</span>', _("Not checked yet"), row.risk)
        return str(row.risk)

    @admin.display(description=_("reasons"))
    def reasons(self, row: QueueRow) -> str | None:
        event = row.latest_precheck
        if event is None or not event.reasons:
            return None
        return Truncator("; ".join(str(reason) for reason in event.reasons)).chars(90)

    @admin.display(description=_("reports"), ordering="reports_count")
    def reports_count(self, row: QueueRow) -> int:
        return int(row.reports_count)

    @admin.display(description=_("waiting"), ordering="waiting_since")
    def waiting(self, row: QueueRow) -> str:
        return format_html(
            '<span title="{}">{}</span>',
            _when(row.waiting_since),
            gettext("%(age)s ago") % {"age": timesince(row.waiting_since, depth=1)},
        )

    @admin.display(description=_("seller"))
    def seller(self, row: QueueRow) -> str:
        if row.business is not None:
            return f"{row.author} ({row.business})"
        return str(row.author)

    # --- The listing's page ----------------------------------------------------------------

    @admin.display(description=_("price"))
    def price_display(self, listing: QueueRow) -> str:
        negotiable = f" ({gettext('negotiable')})" if listing.is_negotiable else ""
        return f"{number_format(listing.price, force_grouping=True)} {listing.currency}{negotiable}"

    @admin.display(description=_("city"))
    def location(self, listing: QueueRow) -> str:
        return ", ".join(part for part in (listing.city, listing.region) if part)

    @admin.display(description=_("details"))
    def details(self, listing: QueueRow) -> str:
        try:
            details = details_of(listing)
        except ObjectDoesNotExist:
            return self.get_empty_value_display()
        rows = [
            (capfirst(field.verbose_name), display_for_field(value, field, "-"))
            for field in details._meta.fields
            if field.name != "listing" and (value := getattr(details, field.name)) not in (None, "")
        ]
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    @admin.display(description=_("media"))
    def media_gallery(self, listing: QueueRow) -> str:
        items = [self._media_item(media) for media in listing.media.all()]
        if not items:
            return self.get_empty_value_display()
        return format_html_join(
            "", '<div style="margin-bottom: 1em">{}</div>', ((item,) for item in items)
        )

    def _media_item(self, media: Any) -> SafeString:
        if media.kind == MediaKind.VIDEO:
            # The H.264 rendition plays everywhere; until it exists, the original.
            source = media.rendition or media.file
            poster = format_html(' poster="{}"', media.poster.url) if media.poster else ""
            return format_html(
                '<video src="{}"{} controls preload="metadata" width="480"></video>'
                '<br><a href="{}" target="_blank" rel="noopener">{}</a>',
                source.url,
                poster,
                media.file.url,
                gettext("Original video"),
            )
        if media.kind == MediaKind.PANORAMA:
            return format_html(
                '<a href="{}" target="_blank" rel="noopener">{}</a>',
                media.file.url,
                MediaKind.PANORAMA.label,
            )
        thumbnail = media.thumbnail or media.file
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="" width="240"></a>',
            media.file.url,
            thumbnail.url,
        )

    @admin.display(description=_("AI verdict"))
    def ai_precheck(self, listing: QueueRow) -> str:
        event = listing.latest_precheck
        if event is None:
            return gettext("Not checked yet")
        reasons = format_html_join("", "<li>{}</li>", ((reason,) for reason in event.reasons))
        return format_html(
            "<p><strong>{}</strong>, {} {}/100 · {} · {}</p><ul>{}</ul>",
            event.get_verdict_display(),
            gettext("risk"),
            event.risk_score,
            event.source,
            _when(event.created_at),
            reasons,
        )

    @admin.display(description=_("open reports"))
    def open_reports(self, listing: QueueRow) -> str:
        reports = (
            Report.objects.filter(listing=listing, status=ReportStatus.OPEN)
            .select_related("reporter")
            .order_by("created_at")
        )
        rows = [
            (_when(report.created_at), report.get_reason_display(), report.reporter, report.comment)
            for report in reports
        ]
        if not rows:
            return self.get_empty_value_display()
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )
