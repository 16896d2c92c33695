"""Which of a client's bookings are in conflict, and what to offer instead.

A conflict is a booking the calendar contradicts:

- refused after the calendar write (``conflict``: a foreign event appeared and our event was
  cancelled again) or refused by the calendar (``failed``);
- confirmed, upcoming, and a blocking calendar shows someone else's event over its customer
  time (an event added in the calendar after we booked, e.g. the owner's dentist appointment).
  Read now through the one busy seam, so a calendar that could not be read is not called a
  conflict: the page names it as unchecked instead.

Each comes with the nearest free slots of its service (``availability.nearest_alternatives``
over a fresh answer from a day before to a week after it), the booking's own time counting as
free for a booking that is still live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from connectors.base import BusyInterval
from connectors.models import Connection
from connectors.registry import client_for
from syncs.calendar import selectors
from syncs.calendar.availability import Slot, StaleCalendars, nearest_alternatives
from syncs.calendar.bookings import availability as bookings_availability
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.busy import read_busy
from syncs.calendar.models import CalendarRole
from tenants.models import Client
from tenants.scoping import for_client

LOOK_AHEAD = timedelta(days=14)  # confirmed bookings checked against the calendars
RECENT_REFUSALS = timedelta(days=7)
SUGGEST_BEFORE, SUGGEST_AFTER = timedelta(days=1), timedelta(days=7)
MAX_SHOWN = 20  # each suggestion is a fresh read: a page stays quick
REFUSED = (BookingStatus.CONFLICT, BookingStatus.FAILED)


@dataclass
class Conflict:
    booking: Booking
    why: str
    earlier: tuple[Slot, ...] = ()
    later: tuple[Slot, ...] = ()
    suggestions_refused: bool = False  # the service refuses while a calendar is stale


@dataclass
class ConflictReport:
    conflicts: list[Conflict] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # calendars that could not be read


def _blocks(interval: BusyInterval, role: CalendarRole) -> bool:
    return interval.status != "tentative" or role.tentative == CalendarRole.Tentative.BLOCK


def _foreign_over(
    booking: Booking,
    busy: dict[tuple[int, str], list[BusyInterval]],
    roles: list[CalendarRole],
) -> str:
    """The name of a calendar with someone else's event over the booking's time, or ''."""
    for role in roles:
        for interval in busy.get((role.connection_id, role.calendar_id), []):
            if not isinstance(interval.start, datetime) or not isinstance(interval.end, datetime):
                continue  # all-day events: the owner's day off is a matter for staff to see
            ours = role.pk == booking.resource_id and interval.event_id == booking.provider_event_id
            overlaps = interval.start < booking.end and booking.start < interval.end
            if overlaps and not ours and _blocks(interval, role):
                return role.name or role.calendar_id
    return ""


def booking_conflicts(
    client: Client,
    *,
    now: datetime | None = None,
    vendor: Callable[[Connection], Any] = client_for,
) -> ConflictReport:
    """The client's conflicts now, each with suggestions (see the module docstring)."""
    now = now or timezone.now()
    report = ConflictReport()
    bookings = for_client(Booking, client).select_related("service")
    refused = bookings.filter(
        status__in=REFUSED, start__gte=now, updated_at__gte=now - RECENT_REFUSALS
    )
    for booking in refused.order_by("start")[:MAX_SHOWN]:
        report.conflicts.append(
            Conflict(booking, booking.status_reason or booking.get_status_display())
        )
    confirmed = list(
        bookings.filter(
            status=BookingStatus.CONFIRMED, start__gte=now, start__lt=now + LOOK_AHEAD
        ).order_by("start")[: MAX_SHOWN * 5]
    )
    if confirmed:
        roles = selectors.reading_roles(client)
        busy = read_busy(roles, confirmed[0].start, max(b.end for b in confirmed), vendor=vendor)
        report.unchecked = [
            r.name or r.calendar_id for r in roles if (r.connection_id, r.calendar_id) not in busy
        ]
        for booking in confirmed:
            calendar = _foreign_over(booking, busy, roles)
            if calendar and len(report.conflicts) < MAX_SHOWN:
                report.conflicts.append(
                    Conflict(booking, f"Another event is in “{calendar}” at this time.")
                )
    for conflict in report.conflicts:
        _suggest(conflict, now, vendor)
    report.conflicts.sort(key=lambda c: c.booking.start)
    return report


def _suggest(conflict: Conflict, now: datetime, vendor: Callable[[Connection], Any]) -> None:
    booking = conflict.booking
    live = booking.status == BookingStatus.CONFIRMED
    start = max(booking.start - SUGGEST_BEFORE, now)
    try:
        answer = bookings_availability.slots(
            booking.service,
            start,
            booking.start + SUGGEST_AFTER,
            now=now,
            ignore=booking if live else None,
            vendor=vendor,
        )
    except StaleCalendars:
        conflict.suggestions_refused = True
        return
    conflict.earlier, conflict.later = nearest_alternatives(booking.start, answer.slots)
