"""The mirror of a synced calendar: change pages written into ``MirroredEvent`` rows, and busy
time read back from them.

The mirror keeps events overlapping a window (``window``): a day back, and ahead as far as the
client's longest service horizon plus a margin (a full read every day keeps that horizon
covered). Busy time is answered from it only inside the window the last full read covered
(``CalendarSync.covered_from`` / ``covered_until``); outside it the caller reads the vendor.

Recurring events arrive as their instances (the protocol's ``changes``); a cancelled series
master takes its instances with it. A series an incremental page reports a live instance of is
read again in full by the connector (``ChangePage.series``), and replaces every instance the
mirror held of it: a moved series, or one whose rule changed, leaves no old instance busy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Max, Q

from connectors.base import BusyInterval, CalendarEvent
from syncs.calendar.models import Service
from syncs.calendar.sync_state.models import CalendarSync, MirroredEvent
from tenants.scoping import for_client

Window = tuple[datetime, datetime]
State = tuple[object, ...] | None
DEFAULT_HORIZON_DAYS = 60  # Service.horizon_days' default, for a client with no service yet
LONGEST_DAYS = 365  # Graph's calendarView delta window ends a year ahead (connectors client)


def window(sync: CalendarSync, now: datetime) -> Window:
    """What a full read at ``now`` keeps: a day back to the longest active service horizon
    ahead, plus ``CALENDAR_MIRROR_MARGIN_DAYS`` (at most a year)."""
    services = for_client(Service, sync.client).filter(active=True)
    horizon = services.aggregate(days=Max("horizon_days"))["days"] or DEFAULT_HORIZON_DAYS
    ahead = min(horizon + settings.CALENDAR_MIRROR_MARGIN_DAYS, LONGEST_DAYS)
    return now - timedelta(days=settings.CALENDAR_MIRROR_PAST_DAYS), now + timedelta(days=ahead)


def _row(sync: CalendarSync, event: CalendarEvent, span: Window) -> MirroredEvent | None:
    """The row an event keeps, or None: cancelled, without times, or outside ``span``."""
    if event.status == "cancelled" or event.start is None or event.end is None:
        return None
    row = MirroredEvent(
        client_id=sync.client_id,
        sync=sync,
        event_id=event.id[:1024],
        status=event.status[:12],
        transparent=event.transparent,
        booking_id=event.booking_id[:255],
        recurring_event_id=event.recurring_event_id[:1024],
        etag=event.etag[:255],
    )
    if isinstance(event.start, datetime) and isinstance(event.end, datetime):
        if event.end <= span[0] or event.start >= span[1]:
            return None
        row.start_at, row.end_at = event.start, event.end
        return row
    first, last = _day(event.start), _day(event.end)
    # All-day days are the owner's; a day either side of the window covers any zone.
    if last < span[0].date() - timedelta(days=1) or first > span[1].date() + timedelta(days=1):
        return None
    row.start_date, row.end_date = first, last
    return row


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _state(row: MirroredEvent | None) -> State:
    if row is None:
        return None
    return (row.start_at, row.end_at, row.start_date, row.end_date, row.status, row.transparent)


def _gone(row: MirroredEvent, calendar_id: str) -> CalendarEvent:
    """A cancellation for a row that left the calendar without being named (a full read no
    longer lists it; its series was deleted)."""
    return CalendarEvent(
        calendar_id=calendar_id,
        id=row.event_id,
        status="cancelled",
        booking_id=row.booking_id,
        recurring_event_id=row.recurring_event_id,
    )


def _latest(events: Iterable[CalendarEvent]) -> dict[str, CalendarEvent]:
    """Each event's last report in the page (a page may name one event twice)."""
    return {event.id: event for event in events}


def apply_full(
    sync: CalendarSync, events: Sequence[CalendarEvent], span: Window
) -> list[CalendarEvent]:
    """Replace the mirror with a full read; returns what differs from the mirror before it
    (moved, new, cancelled, and gone without a word as cancellations)."""
    calendar_id = sync.role.calendar_id
    old = {row.event_id: row for row in MirroredEvent.objects.filter(sync=sync)}
    latest = _latest(events)
    new = {i: r for i, r in ((i, _row(sync, e, span)) for i, e in latest.items()) if r}
    MirroredEvent.objects.filter(sync=sync).delete()
    MirroredEvent.objects.bulk_create(new.values(), batch_size=500)
    changed = [
        _with_ours(event, old.get(event_id))
        for event_id, event in latest.items()
        if _state(old.get(event_id)) != _state(new.get(event_id))
    ]
    changed += [_gone(row, calendar_id) for i, row in old.items() if i not in latest]
    return changed


def apply_changes(
    sync: CalendarSync, events: Sequence[CalendarEvent], span: Window, *, series: Sequence[str] = ()
) -> list[CalendarEvent]:
    """Write an incremental page; returns every event the vendor reported, with the
    instances of a deleted series, and those a ``series`` (carried whole by the page) no
    longer has, as cancellations."""
    calendar_id = sync.role.calendar_id
    latest = _latest(events)
    cancelled = [i for i, e in latest.items() if e.status == "cancelled"]
    touched = Q(event_id__in=list(latest))
    if cancelled or series:
        touched |= Q(recurring_event_id__in=[*cancelled, *series])
    old = {row.event_id: row for row in MirroredEvent.objects.filter(touched, sync=sync)}
    MirroredEvent.objects.filter(touched, sync=sync).delete()
    new = {i: r for i, r in ((i, _row(sync, e, span)) for i, e in latest.items()) if r}
    MirroredEvent.objects.bulk_create(new.values(), batch_size=500)
    whole = set(series)
    # An instance of a series read again in full is news only if it differs from the mirror
    # (the rest of the page is what the vendor said changed, and is reported as such).
    changed = [
        _with_ours(event, old.get(event_id))
        for event_id, event in latest.items()
        if event.recurring_event_id not in whole
        or _state(old.get(event_id)) != _state(new.get(event_id))
    ]
    changed += [_gone(row, calendar_id) for i, row in old.items() if i not in latest]
    return changed


def _with_ours(event: CalendarEvent, old: MirroredEvent | None) -> CalendarEvent:
    """A deleted event may come back as its id alone: keep the booking id we knew."""
    if old is None or event.booking_id or not old.booking_id:
        return event
    return replace(event, booking_id=old.booking_id)


def busy(sync: CalendarSync, start: datetime, end: datetime) -> list[BusyInterval]:
    """Busy and tentative time in [start, end) from the mirror (free and cancelled events
    never block). All-day events are returned as their dates for the owner's zone to place.

    All-day dates are the owner's, ``start`` and ``end`` are instants: a day either side of
    their UTC dates covers any zone (09:00 on 10 Dec at Lord Howe is 9 Dec 22:00Z, 18:00 on
    10 Dec in Los Angeles is 11 Dec 02:00Z); ``availability.busy_spans`` clips the rest."""
    timed = Q(start_at__lt=end, end_at__gt=start)
    day = timedelta(days=1)
    all_day = Q(start_date__lte=end.date() + day, end_date__gte=start.date() - day)
    rows = (
        MirroredEvent.objects.filter(sync=sync, transparent=False)
        .exclude(status="cancelled")
        .filter(timed | all_day)
        .order_by("start_at", "start_date")
        # Only what busy time needs: an availability question reads hundreds of rows.
        .values_list("start_at", "start_date", "end_at", "end_date", "status", "event_id")
    )
    found = []
    for start_at, start_date, end_at, end_date, status, event_id in rows:
        first = start_at or start_date
        last = end_at or end_date
        if first is None or last is None:
            continue
        kind = "tentative" if status == "tentative" else "busy"
        found.append(BusyInterval(start=first, end=last, status=kind, event_id=event_id))
    return found
