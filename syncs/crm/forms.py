"""The form of one field-mapping rule on the CRM's mapping page: a source, a transform and
its arguments, and a target picked from the CRM's own field catalogue."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from connectors.base import CrmField
from syncs.crm.mapping import SOURCE_FIELDS, STANDARD_TARGETS, TRANSFORMS


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
