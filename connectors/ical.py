"""Busy time from iCalendar VEVENTs (what CalDAV serves), recurring events expanded.

In ``connectors`` because the CalDAV client reads busy time with it (``connectors`` never
imports ``syncs``); ``syncs.calendar.expand`` re-exports it for the availability code.

Expansion is the ``recurring-ical-events`` library's (RRULE, RDATE, EXDATE, RECURRENCE-ID
exceptions) over ``icalendar``'s parser, which resolves TZIDs to IANA zones or to the
calendar's own VTIMEZONE. We add only RFC 5545 rules the expansion leaves to the caller
(checked against RFC 5545 §3.3.5, §3.8.2.4, §3.8.2.7 and §3.8.5.3 on 2026-12-05):

- an instance whose local start does not exist (it falls in a spring-forward gap) takes the UTC
  offset from before the gap, i.e. moves forward by the gap (dateutil's ``resolve_imaginary``);
  and every instance keeps the series' length, so such an instance is not cut to nothing;
- a floating time (no zone) is read in the calendar owner's zone;
- ``TRANSP:TRANSPARENT`` (shown as free) and ``STATUS:CANCELLED`` never make busy time;
  ``STATUS:TENTATIVE`` makes "tentative" time, which the availability policy weighs;
- an event the calendar's owner declined (``owner_declined``: PARTSTAT=DECLINED on the
  organizer's own ATTENDEE line, RFC 5545 §3.2.12) stays in the calendar and blocks nothing,
  as Google's free/busy and Graph's schedule leave out what their owner declined; per
  instance, so a declined occurrence (an exception) frees that occurrence only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from dateutil import tz

from connectors.base import BusyInterval


def busy_from_ical(
    calendars: Iterable[str | bytes | icalendar.Calendar],
    start: datetime,
    end: datetime,
    *,
    owner_zone: str,
    names: Sequence[str] = (),
) -> list[BusyInterval]:
    """Busy intervals of every VEVENT instance meeting [start, end), sorted by start.

    ``calendars`` are iCalendar texts (one per CalDAV resource) or parsed calendars. With
    ``names`` (each calendar's resource name), a single (non-recurring) event is named by its
    resource, the id the CalDAV client hands out when it writes or lists the event, so a
    booking knows its own event in busy time; a recurrence instance keeps its UID-based name.
    Raises ``ValueError`` for text that is not iCalendar or an unknown ``owner_zone``."""
    zone = zone_named(owner_zone)
    busy: list[BusyInterval] = []
    for index, source in enumerate(calendars):
        calendar = source if isinstance(source, icalendar.Calendar) else _parse(source)
        series = _recurring_uids(calendar)
        name = names[index] if index < len(names) else ""
        for event in recurring_ical_events.of(calendar).between(start, end):
            interval = _interval(event, zone, series, name)
            if interval is not None:
                busy.append(interval)
    return sorted(busy, key=_sort_key)


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``; raises ``ValueError`` for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{name!r} is not an IANA time zone") from exc


def _parse(text: str | bytes) -> icalendar.Calendar:
    try:
        return icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise ValueError(f"not an iCalendar object: {exc}") from exc


def _recurring_uids(calendar: icalendar.Calendar) -> set[str]:
    """UIDs of series: their instances are named by UID and start, a single event by UID."""
    keys = ("RRULE", "RDATE", "RECURRENCE-ID")
    return {str(e.get("UID", "")) for e in calendar.walk("VEVENT") if any(k in e for k in keys)}


def declined_attendees(event: icalendar.Event) -> list[icalendar.vCalAddress]:
    """The event's ATTENDEE lines that say PARTSTAT=DECLINED."""
    attendees = event.get("ATTENDEE", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    return [a for a in attendees if str(a.params.get("PARTSTAT", "")).upper() == "DECLINED"]


def owner_declined(event: icalendar.Event) -> bool:
    """Whether the calendar's owner declined the event. The owner organizes the events in
    their calendar, so their own ATTENDEE line declining is the owner's decline."""
    organizer = address(event.get("ORGANIZER", ""))
    return bool(organizer) and any(address(a) == organizer for a in declined_attendees(event))


def address(value: object) -> str:
    """A calendar user address (``mailto:…``) as a bare, case-folded e-mail address."""
    text = str(value or "").strip()
    return text[7:].casefold() if text[:7].lower() == "mailto:" else text.casefold()


def _interval(
    event: icalendar.Event, zone: tzinfo, series: set[str], name: str = ""
) -> BusyInterval | None:
    status = str(event.get("STATUS", "CONFIRMED")).upper()
    if status == "CANCELLED" or str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    if owner_declined(event):
        return None
    begin, finish = event.start, event.end
    event_id = _event_id(event, zone, series)
    if name and str(event.get("UID", "")) not in series:
        event_id = name
    kind = "tentative" if status == "TENTATIVE" else "busy"
    if not isinstance(begin, datetime):
        return BusyInterval(begin, finish, kind, event_id)
    assert isinstance(finish, datetime)  # icalendar gives an end of the start's kind
    if begin.tzinfo is None:  # floating: the owner's wall time
        begin, finish = begin.replace(tzinfo=zone), finish.replace(tzinfo=zone)
    first, last = _instant(begin), _instant(finish)
    if last <= first:
        # The start moved forward out of a gap and overtook the end: keep the series' length.
        last = first + (finish.replace(tzinfo=None) - begin.replace(tzinfo=None))
    if last <= first:
        return None  # an instant blocks no time (RFC 5545 §3.6.1: DTSTART alone, no DTEND)
    return BusyInterval(first, last, kind, event_id)


def _instant(wall: datetime) -> datetime:
    """The UTC instant of a zoned wall time: a skipped one takes the offset from before the
    gap, a repeated one its first occurrence (RFC 5545 §3.3.5)."""
    return tz.resolve_imaginary(wall.replace(fold=0)).astimezone(UTC)


def _event_id(event: icalendar.Event, zone: tzinfo, series: set[str]) -> str:
    """The UID, with the instance's RECURRENCE-ID in UTC when the event recurs, so an instance
    has one name however its zone was written."""
    uid = str(event.get("UID", ""))
    recurrence = event.get("RECURRENCE-ID")
    if uid not in series or recurrence is None:
        return uid
    when = recurrence.dt
    if isinstance(when, datetime):
        when = _instant(when if when.tzinfo else when.replace(tzinfo=zone))
    return f"{uid}/{when.isoformat()}"


def _sort_key(busy: BusyInterval) -> tuple[datetime, str]:
    start = busy.start
    if not isinstance(start, datetime):
        start = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return start, busy.event_id
