"""Forms of the sync console pages: filters and review fixes (a mapping rule's form is the CRM
package's, ``syncs.crm.forms``; the rollback's is ``syncs.rollback.forms``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from syncs.intake.review import FIXABLE_FIELDS
from syncs.metrics.summary import WINDOWS
from syncs.models import EventKind, EventStatus
from syncs.ui.forms import when_field


class EventFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any status"), *EventStatus.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "any kind"), *EventKind.choices], required=False)


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=64)
    actor = forms.CharField(required=False, max_length=255)
    target = forms.CharField(required=False, max_length=255)
    since = when_field("From")
    until = when_field("Until")


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


class MetricsWindowForm(forms.Form):
    window = forms.ChoiceField(choices=[(w, w) for w in WINDOWS], required=False)
