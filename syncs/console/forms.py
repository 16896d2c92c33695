"""Forms of the sync console pages: filters, review fixes, mapping rules, rollback."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from connectors.base import CrmField
from syncs.crm.mapping import SOURCE_FIELDS, STANDARD_TARGETS, TRANSFORMS
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


class RuleForm(forms.Form):
    source = forms.ChoiceField(
        choices=[("", "(none: constant or template)")] + [(s, s) for s in sorted(SOURCE_FIELDS)],
        required=False,
    )
    extra_source = forms.CharField(
        required=False, max_length=100, help_text="Or a key the chatbot sends under extra."
    )
    target = forms.CharField(
        max_length=100,
        label="CRM field",
        help_text="Pick from the CRM's own field list (type to search).",
    )
    transform = forms.ChoiceField(choices=[(t, t) for t in TRANSFORMS])
    args = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='JSON, e.g. {"value": "Chatbot"} or {"map": {"booking": "Hot"}}.',
    )

    def __init__(self, *args: Any, catalogue: list[CrmField] | None = None, **kwargs: Any):
        """With the CRM's ``catalogue`` the target is a choice among its fields (types shown)
        and a name it lacks is refused beside the field; without one (the list could not be
        read) it stays a text box, and saving checks it against the CRM again."""
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        if catalogue is not None:
            current = str(self.data.get("target") or self.initial.get("target") or "")
            self.fields["target"].widget = forms.Select(
                choices=target_choices(catalogue, current),
                attrs={"size": 10, "class": "field-picker", "data-search": "target-search"},
            )

    def clean_target(self) -> str:
        target = self.cleaned_data["target"].strip()
        if self.catalogue is not None and target not in catalogue_names(self.catalogue):
            raise forms.ValidationError(
                f"The CRM has no field named {target!r}. Pick a field from the CRM's field "
                "list (custom fields included)."
            )
        return target

    def clean_args(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("args") or ""
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg}.") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("Arguments must be a JSON object.")
        return value

    def rule(self) -> dict[str, Any]:
        data = self.cleaned_data
        extra = data.get("extra_source", "").strip()
        return {
            "source": f"extra.{extra}" if extra else data.get("source", ""),
            "target": data["target"].strip(),
            "transform": data["transform"],
            "args": data.get("args") or {},
        }

    @classmethod
    def initial_for(cls, rule: dict[str, Any]) -> dict[str, Any]:
        source = str(rule.get("source", ""))
        is_extra = source.startswith("extra.")
        return {
            "source": "" if is_extra else source,
            "extra_source": source[len("extra.") :] if is_extra else "",
            "target": rule.get("target", ""),
            "transform": rule.get("transform") or "copy",
            "args": json.dumps(rule.get("args") or {}) if rule.get("args") else "",
        }


def catalogue_names(catalogue: list[CrmField]) -> set[str]:
    """The targets a rule may name: the standard contact fields and the CRM's own."""
    return set(STANDARD_TARGETS) | {f.name for f in catalogue}


def field_option(field: CrmField) -> str:
    """How one field reads in the picker: label, API name, type, required or custom."""
    flags = [field.type] + ["required"] * field.required + ["custom"] * field.custom
    label = (
        f"{field.label} — {field.name}" if field.label and field.label != field.name else field.name
    )
    return f"{label} ({', '.join(flags)})"


def target_choices(catalogue: list[CrmField], current: str = "") -> list[tuple[str, Any]]:
    """Grouped choices: the standard fields every CRM client understands, then the CRM's own
    fields by label. A current target the CRM lacks stays visible, marked, so editing an old
    rule shows what it names (saving it is refused)."""
    own = sorted(
        (f for f in catalogue if f.name not in STANDARD_TARGETS), key=lambda f: f.label.lower()
    )
    groups: list[tuple[str, Any]] = [("", "(pick a field)")]
    if current and current not in catalogue_names(catalogue):
        groups.append((current, f"{current} (not in the CRM's field list)"))
    groups.append(
        ("Standard contact fields", [(n, f"{n} (standard)") for n in sorted(STANDARD_TARGETS)])
    )
    groups.append(("The CRM's fields", [(f.name, field_option(f)) for f in own]))
    return groups


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
