"""``freeBusy.query``: merged busy periods per calendar, errors per calendar it cannot read.

What counts as busy is what Google's own free/busy shows: events not cancelled, not
transparent, not declined by the calendar's owner; tentative events count as busy (free/busy
has no "tentative": which is why the connector reads events.list where it can).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from emulators.google_calendar import expand
from emulators.google_calendar.errors import GoogleError, invalid, required
from emulators.google_calendar.models import GAccount, GCalendar, GEvent
from emulators.google_calendar.times import rfc3339, when, zone

MAX_CALENDARS = 50  # FreeBusyRequest.calendarExpansionMax: "Maximum value is 50"


def query(account: GAccount, request: Any) -> dict[str, Any]:
    if not isinstance(request, dict):
        raise GoogleError(400, "Parse Error", "parseError")
    for name in ("timeMin", "timeMax"):
        if not request.get(name):
            raise required(f"Missing {name}.", location=name)
    low = rfc3339(str(request["timeMin"]), location="timeMin")
    high = rfc3339(str(request["timeMax"]), location="timeMax")
    if high <= low:
        raise GoogleError(
            400, "The specified time range is empty.", "timeRangeEmpty", domain="calendar"
        )
    shown_in = zone(str(request.get("timeZone") or "UTC"), what="the request")
    items = request.get("items") or []
    if not isinstance(items, list) or len(items) > MAX_CALENDARS:
        raise invalid("Invalid value for: items", location="items")
    calendars = {}
    for item in items:
        cal_id = item.get("id") if isinstance(item, dict) else None
        calendars[str(cal_id)] = _calendar(account, str(cal_id), (low, high), shown_in)
    return {
        "kind": "calendar#freeBusy",
        "timeMin": _text(low, shown_in),
        "timeMax": _text(high, shown_in),
        "calendars": calendars,
    }


def _calendar(
    account: GAccount, cal_id: str, window: tuple[datetime, datetime], shown_in: ZoneInfo
) -> dict[str, Any]:
    from emulators.google_calendar.store import ensure_primary

    primary = ensure_primary(account)
    calendar = primary if cal_id in ("primary", primary.cal_id) else (
        GCalendar.objects.filter(account=account, cal_id=cal_id).first()
    )  # fmt: skip
    if calendar is None:
        return {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
    periods = sorted(_busy(calendar, window))
    merged: list[list[datetime]] = []
    for start, end in periods:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return {"busy": [{"start": _text(s, shown_in), "end": _text(e, shown_in)} for s, e in merged]}


def _busy(calendar: GCalendar, window: tuple[datetime, datetime]):
    cal_zone = ZoneInfo(calendar.time_zone)
    rows = GEvent.objects.filter(calendar=calendar)
    exceptions = {
        (r.recurring_event_id, expand.instance_key(r.data["originalStartTime"]))
        for r in rows
        if r.recurring_event_id and r.data.get("originalStartTime")
    }
    for row in rows:
        data = row.data
        if data.get("recurrence") and data.get("status") != "cancelled":
            for original in expand.originals(data, cal_zone, window):
                item = expand.instance(data, original, cal_zone)
                if (data["id"], expand.instance_key(item["originalStartTime"])) not in exceptions:
                    yield from _period(item, calendar, window)
        elif not data.get("recurrence"):
            yield from _period(data, calendar, window)


def _period(item: dict[str, Any], calendar: GCalendar, window: tuple[datetime, datetime]):
    if item.get("status") == "cancelled" or item.get("transparency") == "transparent":
        return
    if any(
        a.get("self") and a.get("responseStatus") == "declined" for a in item.get("attendees", [])
    ):
        return
    cal_zone = ZoneInfo(calendar.time_zone)
    start = when(item["start"], field="start").instant(cal_zone)
    end = when(item["end"], field="end").instant(cal_zone)
    if end > window[0] and start < window[1]:
        yield max(start, window[0]), min(end, window[1])


def _text(moment: datetime, shown_in: ZoneInfo) -> str:
    if shown_in.key == "UTC":
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(shown_in).isoformat()
