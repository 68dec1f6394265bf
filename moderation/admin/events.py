"""The moderation log: its own read-only admin, and the history panel of a listing's page."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedModelAdmin
from accounts.models import User
from listings.models import ReportReason

from ..models import EventKind, ModerationEvent, RejectReason, Verdict
from ..selectors import moderation_history
from .base import QueueRow, _when

HISTORY_KINDS = {
    **dict(EventKind.choices),
    "submitted": _("Submitted"),
    "resubmitted": _("Resubmitted"),
    "report": _("Report"),
}
VERDICT_LABELS = dict(Verdict.choices)
# Rejections and reports share a few codes (duplicate, other ...); their labels agree.
REASON_LABELS = {**dict(ReportReason.choices), **dict(RejectReason.choices)}


class ModerationHistoryAdmin(AuditedModelAdmin):
    """The `history` field of a review item's page: the listing's moderation log."""

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
