"""Forms of the scheduling console pages. Each validates through its model (``clean()`` and the
check constraints, which ``ModelForm`` runs), so what the database would refuse is shown
beside the field instead; what the model cannot see (a name used twice by one client, windows
that overlap, a second calendar taking bookings) is checked here, scoped to the client."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from syncs.calendar.models import BusinessHours, CalendarRole, DateOverride, Service
from tenants.models import Client
from tenants.scoping import for_client

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PREVIEW_MAX_DAYS = 14
PREVIEW_REACH = timedelta(days=400)  # past any horizon (366 days); keeps dates computable
# A constraint's own words ("Constraint “…” is violated.") repeat what clean() said plainly.
CONSTRAINT_NOISE = "Constraint “"


class ClientModelForm(forms.ModelForm):
    """A form of a tenant-owned row: the row belongs to ``client`` before it is validated."""

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.instance.client = client

    def full_clean(self) -> None:
        super().full_clean()
        errors = self.errors.get(NON_FIELD_ERRORS)  # cleaned already: no second full_clean
        if errors and len(errors) > 1:
            plain = [e for e in errors if not str(e).startswith(CONSTRAINT_NOISE)]
            errors[:] = plain or errors[:1]

    def _siblings(self, model: type[Any]) -> Any:
        rows = for_client(model, self.client)
        return rows.exclude(pk=self.instance.pk) if self.instance.pk else rows


class CalendarRoleForm(ClientModelForm):
    class Meta:
        model = CalendarRole
        fields = ["role", "tentative", "stale_after_seconds"]
        labels = {"stale_after_seconds": "Stale after (seconds)"}

    def clean_stale_after_seconds(self) -> int:
        value: int = self.cleaned_data["stale_after_seconds"]
        if value < 30:
            raise forms.ValidationError("At least 30 seconds: a calendar cannot be read faster.")
        return value

    def clean_role(self) -> str:
        """One calendar takes a client's bookings, so the booking never has to guess."""
        role: str = self.cleaned_data["role"]
        if role == CalendarRole.Role.WRITES:
            other = self._siblings(CalendarRole).filter(role=role).first()
            if other is not None:
                raise forms.ValidationError(
                    f"Bookings already go to “{other.name or other.calendar_id}”: set it to "
                    "blocks first (one calendar takes the bookings)."
                )
        return role


class ServiceForm(ClientModelForm):
    class Meta:
        model = Service
        fields = [
            "name",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "minimum_notice_minutes",
            "horizon_days",
            "slot_interval_minutes",
            "max_bookings_per_day",
            "stale_policy",
        ]
        labels = {
            "duration_minutes": "Duration (minutes)",
            "buffer_before_minutes": "Buffer before (minutes)",
            "buffer_after_minutes": "Buffer after (minutes)",
            "minimum_notice_minutes": "Minimum notice (minutes)",
            "horizon_days": "Bookable up to (days ahead)",
            "slot_interval_minutes": "Slot interval (minutes)",
            "max_bookings_per_day": "Daily limit",
            "stale_policy": "When a calendar's data is stale",
        }

    def clean_name(self) -> str:
        # The (client, name) constraint leads with a field the form leaves out, so ModelForm
        # skips it: checked here, scoped, instead of an IntegrityError on save.
        name: str = self.cleaned_data["name"].strip()
        if self._siblings(Service).filter(name__iexact=name).exists():
            raise forms.ValidationError("This client already has a service with that name.")
        return name


class BusinessHoursForm(ClientModelForm):
    weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int)

    class Meta:
        model = BusinessHours
        fields = ["weekday", "start", "end"]
        widgets = {"start": TIME, "end": TIME}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean returns cleaned_data
        day, start, end = data.get("weekday"), data.get("start"), data.get("end")
        if day is not None and start is not None and end is not None:
            for row in self._siblings(BusinessHours).filter(weekday=day):
                if _overlap(start, end, row.start, row.end):
                    raise forms.ValidationError(
                        f"Overlaps {row.start:%H:%M}-{row.end:%H:%M} on that day: "
                        "split hours are separate windows that do not overlap."
                    )
        return data


class DateOverrideForm(ClientModelForm):
    class Meta:
        model = DateOverride
        fields = ["date", "closed", "start", "end", "note"]
        widgets = {"date": DATE, "start": TIME, "end": TIME}
        labels = {"closed": "Closed all day (a holiday)"}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean returns cleaned_data
        day = data.get("date")
        if day is None:
            return data
        same_day = self._siblings(DateOverride).filter(date=day)
        if data.get("closed") and same_day.filter(closed=False).exists():
            raise forms.ValidationError(
                "That date has special hours: delete them first to close it all day."
            )
        if not data.get("closed") and same_day.filter(closed=True).exists():
            raise forms.ValidationError("That date is closed: delete the closure first.")
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None:
            for row in same_day.filter(closed=False):
                if row.start and row.end and _overlap(start, end, row.start, row.end):
                    raise forms.ValidationError(
                        f"Overlaps {row.start:%H:%M}-{row.end:%H:%M} on that date."
                    )
        return data


def _minutes(value: Any, *, end: bool = False) -> int:
    minutes = value.hour * 60 + value.minute
    return minutes or (24 * 60 if end else 0)


def _overlap(start: Any, end: Any, other_start: Any, other_end: Any) -> bool:
    """Whether two wall-time windows share a minute (an end of 00:00 is midnight)."""
    lo, hi = _minutes(start), _minutes(end, end=True)
    other_lo, other_hi = _minutes(other_start), _minutes(other_end, end=True)
    return lo < other_hi and other_lo < hi


class PreviewForm(forms.Form):
    """Which service and which local dates (both included) to preview, at most two weeks."""

    service = forms.ModelChoiceField(queryset=Service.objects.none())
    first = forms.DateField(label="From", widget=DATE)
    last = forms.DateField(label="Until (included)", widget=DATE)

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = for_client(Service, client).filter(active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        first, last = data.get("first"), data.get("last")
        if isinstance(first, date) and isinstance(last, date):
            if last < first:
                raise forms.ValidationError("The last date must not be before the first.")
            if last - first >= timedelta(days=PREVIEW_MAX_DAYS):
                raise forms.ValidationError(f"Preview at most {PREVIEW_MAX_DAYS} days at once.")
            today = date.today()
            if abs(first - today) > PREVIEW_REACH or abs(last - today) > PREVIEW_REACH:
                raise forms.ValidationError("Preview dates within a year of today.")
        return data
