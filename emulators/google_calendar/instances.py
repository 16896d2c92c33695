"""Finding one event by id: a stored row (single event, series, exception) or an instance of a
series that exists only by its id (``<series id>_<original start>``), as Google lets a client
get, patch or delete an instance it has never stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from emulators.google_calendar import expand
from emulators.google_calendar.models import GCalendar, GEvent
from emulators.google_calendar.times import When, when


def find(calendar: GCalendar, event_id: str) -> dict[str, Any] | None:
    """The event's resource, or None when the calendar has no such event or instance."""
    row = GEvent.objects.filter(calendar=calendar, event_id=event_id).first()
    if row is not None:
        return dict(row.data)
    series_id, _, suffix = event_id.rpartition("_")
    master = GEvent.objects.filter(calendar=calendar, event_id=series_id).first()
    if master is None or not master.data.get("recurrence"):
        return None
    original = _original(master.data, suffix)
    if original is None:
        return None
    zone = ZoneInfo(calendar.time_zone)
    return expand.instance(master.data, original, zone)


def _original(master: dict[str, Any], suffix: str) -> When | None:
    """The original start the suffix names, if the series has an instance there."""
    start = when(master["start"], field="start")
    try:
        if start.day is not None:
            day = datetime.strptime(suffix, "%Y%m%d")  # a floating date: no zone
            hits = expand.rules(master).between(day, day, inc=True)
            return When(day.date(), None, "") if hits else None
        assert start.moment is not None
        moment = datetime.strptime(suffix, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    second = timedelta(seconds=1)
    hits = expand.rules(master).between(moment - second, moment + second, inc=True)
    if not hits:
        return None
    return When(None, moment.astimezone(start.moment.tzinfo), start.zone_name)
