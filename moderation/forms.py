"""The admin console's decision forms (the API validates the same input with serializers)."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import RejectReason

NOTE_MAX_LENGTH = 2000


class RejectForm(forms.Form):
    reason_code = forms.ChoiceField(label=capfirst(_("reason")), choices=RejectReason.choices)
    note = forms.CharField(
        label=capfirst(_("note")),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Shown to the seller with the reason."),
    )


class DismissForm(forms.Form):
    note = forms.CharField(
        label=capfirst(_("note")),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )
