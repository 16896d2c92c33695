"""Events as Graph answers with them: one JSON object per single event, occurrence or
exception in a calendarView window (the series master itself is never in a view), with
times in the zone the reader prefers (``Prefer: outlook.timezone``, default UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from emulators.graph import store, validate, zones
from emulators.graph.models import Calendar, Event

Window = tuple[datetime, datetime]


def etag(row: Event) -> str:
    return f'W/"{row.change_key}"'


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "0000000Z"


def all_day_span(row_data: dict[str, Any]) -> tuple[date, date]:
    return (
        date.fromisoformat(row_data["start"]["dateTime"][:10]),
        date.fromisoformat(row_data["end"]["dateTime"][:10]),
    )


def _times(data: dict[str, Any], span: tuple[datetime, datetime], occurrence: bool, prefer: str):
    """``start``/``end`` in the reader's zone; an all-day event's as dates at midnight."""
    start, end = span
    if not data.get("isAllDay"):
        return {"start": zones.render(start, prefer), "end": zones.render(end, prefer)}
    first, last = all_day_span(data)
    if occurrence:  # same length, on the occurrence's own day
        length = last - first
        first = zones.wall(start, data["start"]["timeZone"]).date()
        last = first + length
    return {"start": zones.render_day(first, prefer), "end": zones.render_day(last, prefer)}


def _kind(row: Event) -> str:
    if row.series_master_id:
        return "exception"
    return "seriesMaster" if row.data.get("recurrence") else "singleInstance"


def _properties(source: Event) -> dict[str, Any]:
    """What an event and its occurrences share, from the stored event ``source``."""
    data = source.data
    body = data.get("body") or {"contentType": "text", "content": ""}
    return {
        "@odata.etag": etag(source),
        "createdDateTime": _stamp(source.created_at),
        "lastModifiedDateTime": _stamp(source.updated_at),
        "changeKey": source.change_key,
        "categories": data.get("categories", []),
        "transactionId": source.transaction_id or None,
        "originalStartTimeZone": data["start"]["timeZone"],
        "originalEndTimeZone": data["end"]["timeZone"],
        "iCalUId": "040000008200E00074C5B7101A82E008" + source.ext_id[-24:].encode().hex()[:32],
        "reminderMinutesBeforeStart": data.get("reminderMinutesBeforeStart", 15),
        "isReminderOn": data.get("isReminderOn", True),
        "subject": data.get("subject") or "",
        "bodyPreview": str(body.get("content", ""))[:255],
        "importance": data.get("importance", "normal"),
        "sensitivity": data.get("sensitivity", "normal"),
        "isAllDay": bool(data.get("isAllDay")),
        "isCancelled": bool(data.get("isCancelled")),
        "isOrganizer": bool(data.get("isOrganizer", True)),
        # The mailbox owner's own answer (read-only in Graph; set by ``control.respond``).
        "responseStatus": data.get("responseStatus")
        or {"response": "organizer" if data.get("isOrganizer", True) else "none",
            "time": "0001-01-01T00:00:00Z"},
        "showAs": data.get("showAs", "busy"),
        "body": body,
        "location": data.get("location") or {"displayName": ""},
        "attendees": [_attendee(a) for a in data.get("attendees", [])],
        "organizer": {"emailAddress": {"name": source.calendar.mailbox.account_id,
                                       "address": source.calendar.owner_email}},
    }  # fmt: skip


def event_json(
    row: Event,
    prefer: str,
    *,
    span: tuple[datetime, datetime] | None = None,
    occurrence_of: Event | None = None,
    expand: str = "",
) -> dict[str, Any]:
    """The event (or, with ``occurrence_of``, one occurrence of that series at ``span``)."""
    source = occurrence_of or row
    start, end = span or validate.times(row.data)
    out = _properties(source)
    out.update(_times(source.data, (start, end), occurrence_of is not None, prefer))
    if occurrence_of is not None:
        out.update(id=store.occurrence_id(occurrence_of, start), type="occurrence",
                   seriesMasterId=occurrence_of.ext_id, originalStart=_stamp(start))  # fmt: skip
    else:
        kind = _kind(row)
        master = row.series_master.ext_id if row.series_master_id else None
        out.update(id=row.ext_id, type=kind, seriesMasterId=master)
        out["recurrence"] = row.data.get("recurrence") if kind == "seriesMaster" else None
        if master and row.original_start:
            out["originalStart"] = _stamp(row.original_start)
    out.setdefault("recurrence", None)
    if expand:
        out["singleValueExtendedProperties"] = _extended(source.data, expand)
    return out


def _attendee(attendee: dict[str, Any]) -> dict[str, Any]:
    status = attendee.get("status") or {"response": "none", "time": "0001-01-01T00:00:00Z"}
    return {
        "type": attendee.get("type", "required"),
        "status": status,
        "emailAddress": attendee["emailAddress"],
    }


def _extended(data: dict[str, Any], wanted_id: str) -> list[dict[str, str]]:
    props = data.get("singleValueExtendedProperties") or []
    return [p for p in props if str(p.get("id", "")).lower() == wanted_id.lower()]


def _overlaps(row: Event, window: Window) -> bool:
    start, end = instants(row)
    return start < window[1] and end > window[0]


def instants(row: Event) -> tuple[datetime, datetime]:
    """The event's span as instants; an all-day event's days in its own zone."""
    if row.data.get("isAllDay"):
        first, last = all_day_span(row.data)
        tz = zones.zone(row.data["start"]["timeZone"])
        return (
            datetime.combine(first, datetime.min.time(), tz),
            datetime.combine(last, datetime.min.time(), tz),
        )
    return validate.times(row.data)


def series_instances(master: Event, window: Window, prefer: str, expand: str = "") -> list[dict]:
    """A series' occurrences and exceptions in the window (cancelled ones left out)."""
    exceptions = {e.original_start: e for e in master.exceptions.filter(deleted=False)}
    out = []
    data = master.data
    length = timedelta(0)
    if data.get("isAllDay"):
        first, last = all_day_span(data)
        length = last - first
    for start, end in store.series_occurrences(master, (window[0] - length, window[1] + length)):
        if start in exceptions:
            continue
        span = (start, end)
        if data.get("isAllDay"):
            tz = zones.zone(data["start"]["timeZone"])
            day = zones.wall(start, data["start"]["timeZone"]).date()
            span_check = (
                datetime.combine(day, datetime.min.time(), tz),
                datetime.combine(day + length, datetime.min.time(), tz),
            )
            if not (span_check[0] < window[1] and span_check[1] > window[0]):
                continue
        elif not (start < window[1] and end > window[0]):
            continue
        out.append(event_json(master, prefer, span=span, occurrence_of=master, expand=expand))
    for exception in exceptions.values():
        if not exception.cancelled and _overlaps(exception, window):
            out.append(event_json(exception, prefer, expand=expand))
    return out


def view(calendar: Calendar, window: Window, prefer: str, expand: str = "") -> list[dict]:
    """calendarView: every single event, occurrence and exception overlapping the window,
    ordered by start."""
    out: list[dict] = []
    rows = Event.objects.filter(calendar=calendar, deleted=False, series_master=None)
    for row in rows.select_related("calendar__mailbox"):
        if row.data.get("recurrence"):
            out.extend(series_instances(row, window, prefer, expand))
        elif _overlaps(row, window):
            out.append(event_json(row, prefer, expand=expand))
    return sorted(out, key=lambda e: (e["start"]["dateTime"], e["id"]))
