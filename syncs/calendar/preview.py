"""What a client's customers would be offered: free slots of one service over some local dates,
computed as the availability API computes them (``selectors`` → ``busy.read_busy`` →
``availability.free_slots``, our live bookings held), with the calendars read now. For staff
checking a set-up, so it names each stale calendar by the name they know it by, and a refusal
says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from connectors.models import Connection
from connectors.registry import client_for
from syncs.calendar import availability, localtime, selectors
from syncs.calendar.bookings.models import LIVE_STATUSES, Booking
from syncs.calendar.busy import read_busy
from syncs.calendar.models import CalendarRole, Service
from tenants.models import Client
from tenants.scoping import for_client


@dataclass
class PreviewDay:
    day: date
    slots: list[tuple[datetime, datetime]]  # wall times in the client's zone, with offsets


@dataclass
class Preview:
    zone: str
    days: list[PreviewDay] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # calendar names
    refused: bool = False  # the service's stale policy refused to answer

    @property
    def slot_count(self) -> int:
        return sum(len(d.slots) for d in self.days)


def local_midnight(day: date, zone: str) -> datetime:
    """The first instant of ``day`` in ``zone`` (where midnight is skipped, the instant the
    clocks jump, as zoneinfo reads a skipped wall time)."""
    return datetime.combine(day, time(0), tzinfo=localtime.zone_named(zone)).astimezone(UTC)


def _names(roles: list[CalendarRole]) -> dict[str, str]:
    return {r.calendar_id: r.name or r.calendar_id for r in roles}


def live_bookings(client: Client, start: datetime, end: datetime) -> list[Booking]:
    """The client's live bookings (held or confirmed) whose buffered range meets [start, end):
    our own time, not yet (or never) in any calendar, that is no longer free."""
    return list(
        for_client(Booking, client).filter(
            status__in=LIVE_STATUSES, buffer_start__lt=end, buffer_end__gt=start
        )
    )


def service_slots(
    service: Service,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    ignore: Booking | None = None,
    vendor: Callable[[Connection], Any] = client_for,
) -> availability.Availability:
    """Free slots of ``service`` starting in [start, end): the client's hours, every blocking
    calendar read now, and our live bookings held with their buffers (``ignore``: one whose own
    time counts as free, the booking being moved). Raises ``StaleCalendars`` under the
    service's "refuse" policy."""
    client = service.client
    rules = selectors.service_rules(service)
    query = availability.Query(start=start, end=end, now=now, stale_policy=service.stale_policy)
    lo, hi = availability.busy_window(rules, query)
    zone = localtime.zone_named(client.time_zone)
    ours = [
        b
        for b in live_bookings(client, lo - timedelta(days=1), hi + timedelta(days=1))
        if ignore is None or b.pk != ignore.pk
    ]
    query = availability.Query(
        start=start,
        end=end,
        now=now,
        stale_policy=service.stale_policy,
        held=[(b.buffer_start, b.buffer_end) for b in ours],
        booked_per_day=Counter(
            localtime.local_date(b.start, zone) for b in ours if b.service_id == service.pk
        ),
    )
    roles = selectors.reading_roles(client)
    busy = read_busy(roles, lo, hi, vendor=vendor)
    first, last = localtime.local_date(lo, zone), localtime.local_date(hi, zone)
    schedule = selectors.schedule(client, first - timedelta(days=1), last)
    calendars = selectors.calendar_busy(roles, busy)
    return availability.free_slots(rules, schedule, calendars, query)


def availability_preview(
    client: Client,
    service: Service,
    first: date,
    last: date,
    *,
    now: datetime | None = None,
    vendor: Callable[[Connection], Any] = client_for,
) -> Preview:
    """Free slots of ``service`` starting on local dates ``first``..``last`` (included).
    ``vendor`` builds each connection's calendar client (tests may pass their own)."""
    zone = client.time_zone
    start, end = local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)
    names = _names(selectors.reading_roles(client))
    preview = Preview(zone)
    try:
        answer = service_slots(service, start, end, now=now or timezone.now(), vendor=vendor)
    except availability.StaleCalendars as exc:
        preview.refused = True
        preview.stale = [names.get(c, c) for c in exc.calendar_ids]
        return preview
    preview.stale = [names.get(c, c) for c in answer.stale_calendars]
    by_day: dict[date, list[tuple[datetime, datetime]]] = {}
    for slot in answer.slots:
        slot_start, slot_end = slot.in_zone(zone)
        by_day.setdefault(slot_start.date(), []).append((slot_start, slot_end))
    day = first
    while day <= last:
        preview.days.append(PreviewDay(day, by_day.get(day, [])))
        day += timedelta(days=1)
    return preview
