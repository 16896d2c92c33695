"""A booking: customer time on one "writes" calendar (the resource), with the buffered range
that the no-double-booking guarantee is about.

Two live bookings (held or confirmed) of one resource never have overlapping buffered ranges.
The database enforces it, not the code that inserts (migration 0018):

- PostgreSQL: an exclusion constraint ``booking_no_overlap`` (``btree_gist``), resource ``=``
  and ``tstzrange(buffer_start, buffer_end, '[)') &&``, over the live statuses only.
- SQLite: triggers of the same name refuse an INSERT or UPDATE that would make two live
  bookings of one resource overlap. SQLite has one writer at a time and each statement runs
  under its write lock, so a check made by a trigger cannot race another writer (settings run
  every transaction ``BEGIN IMMEDIATE`` as well).

Neither is declared in ``Meta.constraints``: Django has no per-database constraint, and an
``ExclusionConstraint`` there would make SQLite's ``CREATE TABLE`` fail. The migration adds
the right one for the database it runs on; ``makemigrations`` never sees either.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q

__all__ = ["LIVE_STATUSES", "NO_OVERLAP", "Booking", "BookingOutcome", "BookingStatus"]

NO_OVERLAP = "booking_no_overlap"


class BookingStatus(models.TextChoices):
    HELD = "held", "Held (being written to the calendar)"
    CONFIRMED = "confirmed", "Confirmed"
    # Written, then a foreign event was found over it: our event was cancelled again.
    CONFLICT = "conflict", "Conflict (refused after the calendar write)"
    # The calendar refused the write (permanently) or the connection is gone.
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Hold expired"
    CANCELLED = "cancelled", "Cancelled"


# Only these hold time; the constraint and the triggers name them (migration 0018).
LIVE_STATUSES = (BookingStatus.HELD, BookingStatus.CONFIRMED)


class BookingOutcome(models.TextChoices):
    NONE = "", "Not recorded"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"


class Booking(models.Model):
    """One booking of a service, in UTC.

    ``event_key`` is what the calendar knows it by (``EventDraft.booking_id``), the public id
    at creation. A reschedule moves the row itself: one UPDATE holds the new range and releases
    the old one (the constraint checks it against the other bookings, never against itself),
    status goes back to held and ``previous_start``/``previous_end`` keep the confirmed time
    until the calendar has the new one, so a refused move can go back to it."""

    # Indexed by the (client, …) indexes in Meta, which it leads.
    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_key = models.UUIDField(help_text="The calendar event's booking id (ours).")
    service = models.ForeignKey("syncs.Service", on_delete=models.PROTECT, related_name="bookings")
    # The "writes" calendar the booking goes to. Null only when that calendar's connection was
    # removed since; such a booking holds nothing (no equality, so no exclusion).
    resource = models.ForeignKey(
        "syncs.CalendarRole",
        null=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
        db_index=False,  # the exclusion constraint's GiST index leads with it (PostgreSQL)
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    buffer_start = models.DateTimeField(help_text="start minus the service's buffer before.")
    buffer_end = models.DateTimeField(help_text="end plus the service's buffer after.")
    status = models.CharField(
        max_length=12, choices=BookingStatus.choices, default=BookingStatus.HELD
    )
    status_reason = models.TextField(blank=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    time_zone = models.CharField(max_length=64, help_text="The caller's IANA zone.")
    # The AI event that asked for it (its raw payload is kept there).
    event = models.ForeignKey(
        "syncs.AiEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    previous_start = models.DateTimeField(null=True, blank=True)
    previous_end = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    provider_event_id = models.CharField(max_length=1024, blank=True)
    provider_etag = models.CharField(max_length=255, blank=True)
    source_tag = models.CharField(max_length=64, blank=True)
    session_id = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(
        max_length=8, choices=BookingOutcome.choices, default=BookingOutcome.NONE, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        indexes = [
            models.Index(fields=["client", "-start"], name="booking_client_start"),
            models.Index(fields=["client", "event_key"], name="booking_client_event_key"),
            # The sweep of expired holds.
            models.Index(fields=["status", "hold_expires_at"], name="booking_status_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_end_after_start"),
            models.CheckConstraint(
                condition=Q(buffer_start__lte=F("start")) & Q(buffer_end__gte=F("end")),
                name="booking_buffers_around_time",
            ),
        ]

    def __str__(self) -> str:
        return f"booking {self.public_id} {self.start:%Y-%m-%d %H:%M} {self.status}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES
