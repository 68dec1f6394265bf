"""The moderators' decisions on the review queue: approve, reject (with a reason form) and
dismiss reports, as bulk actions on the list and as buttons on a listing's page. Every decision
goes through `moderation.services`."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.options import Options
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.admin_audit import AuditedModelAdmin
from accounts.models import User
from listings.models import Status

from ..exceptions import AlreadyDecided
from ..forms import DismissForm, RejectForm
from ..services import moderation_approve, moderation_dismiss_reports, moderation_reject


class ReviewDecisionsAdmin(AuditedModelAdmin):
    """The decisions of `ReviewItemAdmin`: its actions, its per-listing views and the buttons
    its change form shows."""

    actions = ("approve_selected", "reject_selected", "dismiss_reports_selected")
    reject_template = "admin/moderation/reviewitem/reject.html"

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
