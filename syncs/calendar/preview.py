"""What a client's customers would be offered: free slots of one service over some local dates,
computed by the very function the availability API answers with
(``bookings.availability.slots``: the client's hours, every blocking calendar read now, our
live bookings held). For staff checking a set-up, so it names each stale calendar by the name
they know it by, and a refusal says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from connectors.models import Connection
from connectors.registry import client_for
from syncs.calendar import availability, localtime, selectors
from syncs.calendar.bookings import availability as bookings_availability
from syncs.calendar.models import CalendarRole, Service
from tenants.models import Client


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
        answer = bookings_availability.slots(
            service, start, end, now=now or timezone.now(), vendor=vendor
        )
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
