"""Forms of the sync console pages: filters, review fixes, rollback (a mapping rule's form is
the CRM package's, ``syncs.crm.forms``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from syncs.intake.review import FIXABLE_FIELDS
from syncs.metrics.summary import WINDOWS
from syncs.models import EventKind, EventStatus

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


def _when(label: str) -> forms.DateTimeField:
    # Read in the current time zone, the one every console page shows times in: say which.
    return forms.DateTimeField(
        label=f"{label} ({settings.TIME_ZONE})",
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class EventFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any status"), *EventStatus.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "any kind"), *EventKind.choices], required=False)


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=64)
    actor = forms.CharField(required=False, max_length=255)
    target = forms.CharField(required=False, max_length=255)
    since = _when("From")
    until = _when("Until")


class ReviewFixForm(forms.Form):
    """Only the fields staff fix; empty means 'leave as received'."""

    name = forms.CharField(required=False, max_length=255)
    email = forms.CharField(required=False, max_length=255)
    phone = forms.CharField(required=False, max_length=64)
    company = forms.CharField(required=False, max_length=255)

    def fixes(self) -> dict[str, str]:
        return {k: v for k, v in self.cleaned_data.items() if v and k in FIXABLE_FIELDS}

    def add_refusal(self, error: ValidationError) -> None:
        """``release_review``'s reasons, each on the field it names (else on the form)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            self.add_error(name if name in self.fields else None, errors)


class RollbackForm(forms.Form):
    tag = forms.CharField(max_length=64, initial="AI_Chatbot", label="Source tag")
    since = _when("Written from")
    until = _when("Written until")
    session_id = forms.CharField(max_length=255, required=False, label="Chatbot session id")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data (None only in overrides)
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise forms.ValidationError("The window must start before it ends.")
        return data


class MetricsWindowForm(forms.Form):
    window = forms.ChoiceField(choices=[(w, w) for w in WINDOWS], required=False)
