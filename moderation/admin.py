"""The Django admin as the moderators' console: the review queue and the moderation log.

Nothing here writes a listing: every decision goes through `moderation.services`, exactly as
the API's do, and every page reads through `moderation.selectors`.
"""

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, flatten_fieldsets, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.db.models.options import Options
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import localize, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator, capfirst
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.admin_audit import AuditedModelAdmin
from accounts.models import User
from listings.models import Listing, MediaKind, Report, ReportReason, ReportStatus, Status
from listings.serializers import details_of

from .exceptions import AlreadyDecided
from .forms import DismissForm, RejectForm
from .models import EventKind, ModerationEvent, RejectReason, ReviewItem, Verdict
from .selectors import latest_prechecks, moderation_history, moderation_queue
from .services import moderation_approve, moderation_dismiss_reports, moderation_reject

# A row of the queue: a Listing carrying moderation_queue()'s annotations (`risk`,
# `reports_count`, `waiting_since`, `precheck_id`) and the `latest_precheck` attached below.
QueueRow = Any

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
HISTORY_KINDS = {
    **dict(EventKind.choices),
    "submitted": _("Submitted"),
    "resubmitted": _("Resubmitted"),
    "report": _("Report"),
}
VERDICT_LABELS = dict(Verdict.choices)
# Rejections and reports share a few codes (duplicate, other ...); their labels agree.
REASON_LABELS = {**dict(ReportReason.choices), **dict(RejectReason.choices)}


def _is_moderator(request: HttpRequest) -> bool:
    # Admins (superusers) have the moderator role's rights too: `is_moderator` says so.
    return bool(getattr(request.user, "is_moderator", False))


def _attach_prechecks(listings: Iterable[QueueRow]) -> None:
    """Give each listing its latest AI verdict (or None), in one query."""
    rows = list(listings)
    prechecks = latest_prechecks([row.pk for row in rows])
    for row in rows:
        row.latest_precheck = prechecks.get(row.pk)


def _when(moment: Any) -> str:
    return localize(timezone.localtime(moment))


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
class ReviewItemAdmin(AuditedModelAdmin):
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
    actions = ("approve_selected", "reject_selected", "dismiss_reports_selected")
    change_form_template = "admin/moderation/reviewitem/change_form.html"
    reject_template = "admin/moderation/reviewitem/reject.html"
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

    @admin.display(description=_("history"))
    def history(self, listing: QueueRow) -> str:
        items = moderation_history(listing=listing)
        people = User.objects.in_bulk({item.actor_id for item in items if item.actor_id})
        rows = []
        for item in items:
            actor = people.get(item.actor_id)
            facts = [
                VERDICT_LABELS.get(item.verdict, item.verdict) if item.verdict else None,
                f"{gettext('risk')} {item.risk_score}" if item.risk_score is not None else None,
                REASON_LABELS.get(item.reason_code, item.reason_code) if item.reason_code else None,
                "; ".join(item.reasons) if item.reasons else None,
                item.note,
            ]
            rows.append(
                (
                    _when(item.created_at),
                    HISTORY_KINDS.get(item.kind, item.kind),
                    actor if actor is not None else "—",
                    " · ".join(str(fact) for fact in facts if fact),
                )
            )
        if not rows:
            return self.get_empty_value_display()
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        if obj is not None and self.has_change_permission(request):
            context["decisions"] = {
                "can_approve": obj.status == Status.PENDING_REVIEW,
                "can_dismiss": obj.reports_count > 0,
                "reject_form": RejectForm(auto_id="reject_%s"),
                "dismiss_form": DismissForm(auto_id="dismiss_%s"),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- Decisions: bulk actions -------------------------------------------------------------

    @admin.action(description=_("Approve the selected listings"), permissions=("change",))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        moderator = self._moderator(request)
        rows = list(queryset)
        self._decide(
            request,
            rows,
            lambda listing: moderation_approve(listing=listing, moderator=moderator),
            approved_message,
            left=_left_the_queue(request, rows),
        )

    @admin.action(description=_("Reject the selected listings…"), permissions=("change",))
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        """Django's pattern for an action with an intermediate page: the first POST (from the
        list) shows the form; the form posts the action and selection back with `apply`."""
        moderator = self._moderator(request)
        rows = list(queryset)
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._reject_page(request, rows, form, bulk=True)
        self._decide(
            request,
            rows,
            lambda listing: moderation_reject(
                listing=listing, moderator=moderator, **form.cleaned_data
            ),
            rejected_message,
            left=_left_the_queue(request, rows),
        )
        return None

    @admin.action(
        description=_("Dismiss the reports on the selected listings"), permissions=("change",)
    )
    def dismiss_reports_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        moderator = self._moderator(request)
        rows = list(queryset)
        self._decide(
            request,
            rows,
            lambda listing: moderation_dismiss_reports(listing=listing, moderator=moderator),
            dismissed_message,
            left=_left_the_queue(request, rows),
        )

    # --- Decisions: one listing, from its page -----------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view  # staff only, CSRF-protected
        return [
            path(
                "<path:object_id>/approve/",
                view(require_POST(self.approve_view)),
                name=f"{name}_approve",
            ),
            path("<path:object_id>/reject/", view(self.reject_view), name=f"{name}_reject"),
            path(
                "<path:object_id>/dismiss/",
                view(require_POST(self.dismiss_view)),
                name=f"{name}_dismiss",
            ),
            *super().get_urls(),
        ]

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        moderator = self._moderator(request)
        self._decide_one(
            request,
            self._in_queue(request, object_id),
            lambda listing: moderation_approve(listing=listing, moderator=moderator),
            approved_message,
        )
        return HttpResponseRedirect(self._queue_url(request))

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET shows the reason form for one listing; a valid POST rejects it."""
        moderator = self._moderator(request)
        listing = self._in_queue(request, object_id)
        form = RejectForm(request.POST if request.method == "POST" else None)
        if listing is not None and not form.is_valid():
            return self._reject_page(request, [listing], form, bulk=False)
        self._decide_one(
            request,
            listing,
            lambda listing: moderation_reject(
                listing=listing, moderator=moderator, **form.cleaned_data
            ),
            rejected_message,
        )
        return HttpResponseRedirect(self._queue_url(request))

    def dismiss_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        moderator = self._moderator(request)
        form = DismissForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        self._decide_one(
            request,
            self._in_queue(request, object_id),
            lambda listing: moderation_dismiss_reports(
                listing=listing, moderator=moderator, note=note
            ),
            dismissed_message,
        )
        return HttpResponseRedirect(self._queue_url(request))

    # --- Shared -------------------------------------------------------------------------------

    def _moderator(self, request: HttpRequest) -> User:
        """The deciding moderator; 403 for anyone else (admins are moderators too)."""
        user = request.user
        if not isinstance(user, User) or not user.is_moderator:
            raise PermissionDenied
        if not self.has_change_permission(request):
            raise PermissionDenied
        return user

    def _in_queue(self, request: HttpRequest, object_id: str) -> Any:
        """The listing, or None once it has left the queue (another moderator decided)."""
        return self.get_object(request, unquote(object_id))

    def _decide_one(
        self,
        request: HttpRequest,
        listing: Any,
        decide: Callable[[Any], object],
        done: Callable[[int], str],
    ) -> None:
        rows = [listing] if listing is not None else []
        self._decide(request, rows, decide, done, left=0 if rows else 1)

    def _decide(
        self,
        request: HttpRequest,
        rows: list[Any],
        decide: Callable[[Any], object],
        done: Callable[[int], str],
        *,
        left: int,
    ) -> None:
        """Decide on each listing through the service. Those another moderator decided first
        (`left` have already left the queue) are counted in a warning, not an error page."""
        decided, skipped = 0, left
        for listing in rows:
            try:
                decide(listing)
            except AlreadyDecided:
                skipped += 1
            else:
                decided += 1
        if decided:
            self.message_user(request, done(decided), messages.SUCCESS)
        if skipped:
            self.message_user(request, already_decided_message(skipped), messages.WARNING)

    def _queue_url(self, request: HttpRequest) -> str:
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
            current_app=self.admin_site.name,
        )
        context: dict[str, Options[Any] | str] = {
            "preserved_filters": self.get_preserved_filters(request),
            "opts": self.opts,
        }
        return add_preserved_filters(context, url)

    def _reject_page(
        self, request: HttpRequest, listings: list[Any], form: RejectForm, *, bulk: bool
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reject listings"),
            "opts": self.opts,
            "listings": listings,
            "form": form,
            "bulk": bulk,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.reject_template, context)


def _left_the_queue(request: HttpRequest, rows: list[Any]) -> int:
    """How many selected listings the action did not get: they left the queue (another
    moderator decided) between the list's rendering and the action."""
    if request.POST.get("select_across") == "1":
        return 0
    selected = set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
    return max(len(selected) - len(rows), 0)


def approved_message(count: int) -> str:
    return gettext("Approved and published: %(count)d.") % {"count": count}


def rejected_message(count: int) -> str:
    return gettext("Rejected, sellers told why: %(count)d.") % {"count": count}


def dismissed_message(count: int) -> str:
    return gettext("Listings with reports dismissed: %(count)d.") % {"count": count}


def already_decided_message(count: int) -> str:
    return gettext("Already decided, left as they are: %(count)d.") % {"count": count}


@admin.register(ModerationEvent)
class ModerationEventAdmin(AuditedModelAdmin):
    """The moderation log, as written: nobody adds, edits or deletes an event."""

    list_display = ("created_at", "kind", "listing", "verdict", "risk_score", "source", "actor")
    list_filter = ("kind", "verdict", "source")
    list_select_related = ("listing", "actor")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "kind",
        "listing",
        "actor_name",
        "verdict",
        "risk_score",
        "reasons",
        "reason_codes",
        "source",
        "reason_code",
        "note",
        "data",
    )
    readonly_fields = fields

    @admin.display(description=_("moderator"))
    def actor_name(self, event: ModerationEvent) -> str | None:
        # Plain text: a link would lead moderators to the user admin, which they may not open.
        return str(event.actor) if event.actor is not None else None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
