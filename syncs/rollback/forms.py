"""The rollback page's form: which writes to undo (a source tag, a window, a chatbot session)."""

from __future__ import annotations

from typing import Any

from django import forms

from syncs.ui.forms import when_field


class RollbackForm(forms.Form):
    tag = forms.CharField(max_length=64, initial="AI_Chatbot", label="Source tag")
    since = when_field("Written from")
    until = when_field("Written until")
    session_id = forms.CharField(max_length=255, required=False, label="Chatbot session id")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data (None only in overrides)
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise forms.ValidationError("The window must start before it ends.")
        return data
