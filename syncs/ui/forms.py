"""Form fields every package's console pages share."""

from __future__ import annotations

from django import forms
from django.conf import settings

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


def when_field(label: str) -> forms.DateTimeField:
    """An optional moment, typed in the browser's date-time picker. It is read in the current
    time zone, the one every console page shows times in, and the label says which."""
    return forms.DateTimeField(
        label=f"{label} ({settings.TIME_ZONE})",
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
