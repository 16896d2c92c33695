"""A service's free slots now: the client's rows, a fresh busy read through the one seam
(``syncs.calendar.busy.read_busy``) and our own live bookings, put into the pure
``syncs.calendar.availability.free_slots``.

Our live bookings count as held time with their buffers: the calendar shows a booking's
customer time only, so the buffer around it would otherwise be offered to the next customer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from connectors.models import Connection
from connectors.registry import client_for
from syncs.calendar import availability, localtime, selectors
from syncs.calendar.availability import Availability, Query, Slot
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.busy import BusyByCalendar, read_busy
from syncs.calendar.models import Service
from tenants.scoping import for_client

Vendor = Callable[[Connection], Any]
# How far around a taken slot alternatives are looked for.
ALTERNATIVES_BEFORE = timedelta(days=1)
ALTERNATIVES_AFTER = timedelta(days=7)


def live_bookings(service: Service, start: datetime, end: datetime, now: datetime) -> list[Booking]:
    """The client's bookings holding time that meets [start, end): confirmed, or held and not
    expired (an expired hold is released by the next hold over it, or by the sweep)."""
    holding = Q(status=BookingStatus.CONFIRMED) | Q(
        status=BookingStatus.HELD, hold_expires_at__gt=now
    )
    return list(
        for_client(Booking, service.client)
        .filter(holding, buffer_start__lt=end, buffer_end__gt=start)
        .only("service_id", "start", "buffer_start", "buffer_end")
    )


def slots(
    service: Service,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    ignore: Booking | None = None,
    vendor: Vendor = client_for,
) -> Availability:
    """Free slots of ``service`` starting in [start, end), read now. ``ignore``: a booking
    whose own time does not count (the one being rescheduled). Raises ``StaleCalendars``
    under the service's "refuse" policy, ``ValueError`` for naive datetimes."""
    client = service.client
    now = now or timezone.now()
    rules = selectors.service_rules(service)
    query = Query(start=start, end=end, now=now, stale_policy=service.stale_policy)
    lo, hi = availability.busy_window(rules, query)
    zone = localtime.zone_named(client.time_zone)
    schedule = selectors.schedule(
        client, localtime.local_date(lo, zone) - timedelta(days=1), localtime.local_date(hi, zone)
    )
    roles = selectors.reading_roles(client)
    busy = _without_own_event(read_busy(roles, lo, hi, vendor=vendor), ignore)
    busy = _without_cancelled_events(service, busy, lo, hi)
    nearby = live_bookings(service, lo - timedelta(days=1), hi + timedelta(days=1), now)
    ours = [b for b in nearby if ignore is None or b.pk != ignore.pk]
    per_day: Counter[date] = Counter(
        localtime.local_date(b.start, zone) for b in ours if b.service_id == service.pk
    )
    query = Query(
        start=start,
        end=end,
        now=now,
        stale_policy=service.stale_policy,
        held=[(b.buffer_start, b.buffer_end) for b in ours],
        booked_per_day=per_day,
    )
    return availability.free_slots(rules, schedule, selectors.calendar_busy(roles, busy), query)


def _without_own_event(busy: BusyByCalendar, booking: Booking | None) -> BusyByCalendar:
    """``busy`` less ``booking``'s own event in its calendar: a booking being moved must not
    be blocked by itself (else a move by less than its own length is never free)."""
    role = None if booking is None else booking.resource
    if booking is None or role is None or not booking.provider_event_id:
        return busy
    own = booking.provider_event_id
    key = (role.connection_id, role.calendar_id)
    if key not in busy:
        return busy
    return {**busy, key: [i for i in busy[key] if i.event_id != own]}


def _without_cancelled_events(
    service: Service, busy: BusyByCalendar, start: datetime, end: datetime
) -> BusyByCalendar:
    """``busy`` less the events of our own cancelled bookings: a booking declined in the
    calendar leaves its event there (busy) until the job that removes it has run, and a
    cancellation through the API until its job deletes it; the time is free already."""
    gone = set(
        for_client(Booking, service.client)
        .filter(status=BookingStatus.CANCELLED, start__lt=end, end__gt=start)
        .exclude(provider_event_id="")
        .values_list("provider_event_id", flat=True)
    )
    if not gone:
        return busy
    return {
        key: [i for i in intervals if not i.event_id or i.event_id not in gone]
        for key, intervals in busy.items()
    }


def slot_is_free(
    service: Service,
    start: datetime,
    *,
    ignore: Booking | None = None,
    vendor: Vendor = client_for,
) -> bool:
    """Whether a slot of ``service`` starts at ``start`` and is free now."""
    found = slots(service, start, start + timedelta(minutes=1), ignore=ignore, vendor=vendor)
    return any(slot.start == start for slot in found.slots)


def alternatives(
    service: Service,
    wanted: datetime,
    *,
    count: int = 3,
    ignore: Booking | None = None,
    vendor: Vendor = client_for,
) -> tuple[tuple[Slot, ...], tuple[Slot, ...]]:
    """The nearest free slots before and after ``wanted`` (never ``wanted`` itself), from a
    fresh read: what a refused booking is offered instead."""
    now = timezone.now()
    start = max(wanted - ALTERNATIVES_BEFORE, now)
    found = slots(
        service, start, wanted + ALTERNATIVES_AFTER, now=now, ignore=ignore, vendor=vendor
    )
    return availability.nearest_alternatives(wanted, found.slots, count=count)
