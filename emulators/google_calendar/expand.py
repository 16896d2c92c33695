"""Recurring events expanded into instances (``singleEvents=true``), with their exceptions.

The recurrence itself is dateutil's ``rrulestr`` (RFC 5545 RRULE, EXRULE, RDATE, EXDATE), not
an expansion of ours. Google's rules (the ``Event`` schema of the discovery document,
``recurrence`` and ``start.timeZone``): the lines carry no DTSTART; a timed series needs a
``timeZone`` and is expanded in that zone's wall time (so 09:00 stays 09:00 across DST);
an instance's id is the series id, ``_`` and its original start (``20261207T080000Z`` in UTC,
or ``20261207`` for all-day series).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rruleset, rrulestr

from emulators.google_calendar.errors import invalid
from emulators.google_calendar.times import When, stamp, when, zone

MAX_INSTANCES = 1000  # instances of one series in an unbounded list (no timeMax)
RECURRENCE_PREFIXES = ("RRULE:", "EXRULE:", "RDATE", "EXDATE")


def _tzid(name: str) -> ZoneInfo:
    return zone(name, what="recurrence")


def rules(master: dict[str, Any]) -> rruleset:
    """The series' rule set, anchored at its start; 400 for lines Google would refuse."""
    lines = master.get("recurrence") or []
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise invalid("Invalid recurrence rule.", location="recurrence")
    if any(not line.upper().startswith(RECURRENCE_PREFIXES) for line in lines):
        raise invalid("Invalid recurrence rule.", location="recurrence")
    start = when(master["start"], field="start")
    if start.day is None and not start.zone_name:
        raise invalid("Missing time zone definition for start time.", location="start")
    anchor = datetime.combine(start.day, time()) if start.day is not None else start.moment
    try:
        found = rrulestr("\n".join(lines), dtstart=anchor, forceset=True, tzids=_tzid)
        next(iter(found), None)  # a naive EXDATE against a zoned series fails here
    except (ValueError, TypeError):
        raise invalid("Invalid recurrence rule.", location="recurrence") from None
    return found


def originals(
    master: dict[str, Any], calendar_zone: ZoneInfo, window: tuple[datetime, datetime] | None
) -> list[When]:
    """The series' original starts whose instance overlaps ``window`` (UTC, end exclusive);
    at most ``MAX_INSTANCES`` of them (an endless series under an open-ended window)."""
    start = when(master["start"], field="start")
    duration = _duration(master, calendar_zone)
    found = rules(master)
    try:
        if window is None:
            picked: Iterable[datetime] = islice(found, MAX_INSTANCES)
        else:
            low, high = window
            if start.day is not None:  # all-day series run on floating dates
                low, high = (w.astimezone(calendar_zone).replace(tzinfo=None) for w in window)
            picked = _before(found.xafter(low - duration, count=MAX_INSTANCES), high)
        return [_when(moment, start) for moment in picked]
    except TypeError:
        raise invalid("Invalid recurrence rule.", location="recurrence") from None


def _before(moments: Iterable[datetime], high: datetime) -> Iterator[datetime]:
    for moment in moments:
        if moment >= high:
            return
        yield moment


def _when(moment: datetime, start: When) -> When:
    if start.day is not None:
        return When(moment.date(), None, "")
    assert start.moment is not None
    return When(None, moment.astimezone(start.moment.tzinfo), start.zone_name)


def _duration(event: dict[str, Any], calendar_zone: ZoneInfo) -> timedelta:
    start = when(event["start"], field="start")
    end = when(event["end"], field="end")
    if start.day is not None and end.day is not None:
        return end.day - start.day
    return end.instant(calendar_zone) - start.instant(calendar_zone)


def instance(master: dict[str, Any], original: When, calendar_zone: ZoneInfo) -> dict[str, Any]:
    """One generated instance, as Google shows it: the series' fields at this start."""
    data = {k: v for k, v in master.items() if k not in ("recurrence", "id")}
    data["id"] = f"{master['id']}_{stamp(original)}"
    data["recurringEventId"] = master["id"]
    data["originalStartTime"] = original.as_json()
    data["start"] = original.as_json()
    data["end"] = original.shifted(_duration(master, calendar_zone)).as_json()
    return data


def instance_key(original: object) -> str:
    """The stamp an ``originalStartTime`` names (how an exception finds its instance)."""
    return stamp(when(original, field="originalStartTime"))


def overlaps(
    event: dict[str, Any], calendar_zone: ZoneInfo, window: tuple[datetime, datetime]
) -> bool:
    """Whether the event's [start, end) meets the window (Google: timeMin bounds the end,
    timeMax the start, both exclusive)."""
    start = when(event["start"], field="start").instant(calendar_zone)
    end = when(event["end"], field="end").instant(calendar_zone)
    return end > window[0] and start < window[1]
