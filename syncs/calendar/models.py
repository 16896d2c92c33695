"""What a client schedules with: services, business hours, date overrides, and the role each
connected calendar plays. Tenant-owned (``client``), queried through ``tenants.scoping``.

Wall times here are in the client's IANA zone (``tenants.Client.time_zone``); what they mean on
DST days is decided once, in ``syncs.calendar.availability``.
"""

from __future__ import annotations

import uuid
from datetime import time

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

__all__ = ["BusinessHours", "CalendarRole", "DateOverride", "Service"]

MIDNIGHT = time(0)


# The stored values are the ones ``syncs.calendar.availability`` reads (FLAG, REFUSE, BLOCKS,
# WRITES, IGNORED; a test holds them equal): the models import nothing of the package, so the
# models index never depends on the domain code that reads it.
class StalePolicy(models.TextChoices):
    FLAG = "flag", "Answer, naming the stale calendar"
    REFUSE = "refuse", "Refuse to answer"


class Service(models.Model):
    """Something a client's customers book: how long, how spaced, how far ahead."""

    # Indexed by the (client, …) index or constraint in Meta, which it leads.
    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    duration_minutes = models.PositiveIntegerField(validators=[MinValueValidator(5)])
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    minimum_notice_minutes = models.PositiveIntegerField(default=60)
    horizon_days = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(0), MaxValueValidator(366)]
    )
    slot_interval_minutes = models.PositiveIntegerField(
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
        help_text="Slots start at local times that are multiples of this after midnight.",
    )
    max_bookings_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Per local day; empty for no limit."
    )
    stale_policy = models.CharField(
        max_length=8, choices=StalePolicy.choices, default=StalePolicy.FLAG
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="calendar_service_name_once"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0) & Q(slot_interval_minutes__gt=0),
                name="calendar_service_positive_lengths",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def _check_window(start: time | None, end: time | None) -> None:
    if start is not None and end is not None and end != MIDNIGHT and end <= start:
        raise ValidationError("The end must be after the start (00:00 means midnight).")


class BusinessHours(models.Model):
    """One open window on a weekday, in the client's wall time. Several rows make split hours."""

    # Indexed by the (client, …) index or constraint in Meta, which it leads.
    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text="Monday 0 … Sunday 6."
    )
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["weekday", "start"]
        indexes = [models.Index(fields=["client", "weekday"], name="calendar_hours_client_day")]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="calendar_hours_weekday"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")) | Q(end=MIDNIGHT),
                name="calendar_hours_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"weekday {self.weekday} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self) -> None:
        _check_window(self.start, self.end)


class DateOverride(models.Model):
    """A date whose hours differ from its weekday's: closed (a holiday) or special hours. The
    rows of one date replace that weekday's hours entirely."""

    # Indexed by the (client, …) index or constraint in Meta, which it leads.
    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    date = models.DateField()
    closed = models.BooleanField(default=False)
    start = models.TimeField(null=True, blank=True)
    end = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True, help_text="E.g. a holiday's name.")

    class Meta:
        ordering = ["date", "start"]
        indexes = [models.Index(fields=["client", "date"], name="calendar_override_client_date")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(closed=True, start__isnull=True, end__isnull=True)
                    | (
                        Q(closed=False, start__isnull=False, end__isnull=False)
                        & (Q(end__gt=models.F("start")) | Q(end=MIDNIGHT))
                    )
                ),
                name="calendar_override_closed_or_hours",
            ),
        ]

    def __str__(self) -> str:
        hours = "closed" if self.closed else f"{self.start:%H:%M}-{self.end:%H:%M}"
        return f"{self.date} {hours}"

    def clean(self) -> None:
        if self.closed and (self.start or self.end):
            raise ValidationError("A closed date has no hours.")
        if not self.closed and (self.start is None or self.end is None):
            raise ValidationError("Special hours need a start and an end.")
        _check_window(self.start, self.end)


class CalendarRole(models.Model):
    """What one calendar of a calendar connection is for, and how fresh our copy of it is."""

    class Role(models.TextChoices):
        BLOCKS = "blocks", "Blocks availability"
        WRITES = "writes", "Bookings are written here (also blocks)"
        IGNORED = "ignored", "Ignored"

    class Tentative(models.TextChoices):
        BLOCK = "block", "Tentative events block"
        FREE = "free", "Tentative events are free"

    # Indexed by the (client, …) index or constraint in Meta, which it leads.
    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Indexed by calendar_role_once_per_calendar (connection, calendar_id), which it leads.
    connection = models.ForeignKey(
        "connectors.Connection", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    calendar_id = models.CharField(max_length=1024)
    name = models.CharField(max_length=255, blank=True)
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="The owner's IANA zone; all-day events are its days."
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.BLOCKS)
    tentative = models.CharField(max_length=8, choices=Tentative.choices, default=Tentative.BLOCK)
    last_read_at = models.DateTimeField(null=True, blank=True)
    stale_after_seconds = models.PositiveIntegerField(
        default=300, help_text="Older data than this is stale (polled calendars need more)."
    )

    class Meta:
        ordering = ["connection_id", "name"]
        indexes = [models.Index(fields=["client", "role"], name="calendar_role_client_role")]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "calendar_id"], name="calendar_role_once_per_calendar"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.calendar_id} ({self.role})"
