"""Google Calendar JSON to our calendar models and back (pure functions, no network).

Field names and meanings: the discovery document's ``Event``, ``EventDateTime`` and
``Channel`` schemas (shared/vendor-specs/google-calendar/calendar-v3.json, revision 20230217,
read 2026-12-05).
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.base import BusyInterval, CalendarEvent, ConnectorError, EventDraft

# Our keys in the event's private extended properties (visible to this calendar's copy only).
BOOKING_PROPERTY = "switchboardBookingId"
SOURCE_PROPERTY = "switchboardSourceTag"
# Event ids we choose: base32hex (a-v, 0-9), 5 to 1024 characters (Event.id). "sbk" + the
# booking id's bytes in base32hex: a retry of the same booking names the same event.
EVENT_ID_PREFIX = "sbk"
MAX_EVENT_ID = 1024


def event_id_for(booking_id: str) -> str:
    """The event id a booking's event gets; the same booking always gets the same id."""
    if not booking_id:
        raise ConnectorError("google: an event needs our booking id", permanent=True)
    encoded = base64.b32hexencode(booking_id.encode()).decode("ascii").rstrip("=").lower()
    event_id = EVENT_ID_PREFIX + encoded
    if len(event_id) > MAX_EVENT_ID:
        raise ConnectorError("google: booking id too long for an event id", permanent=True)
    return event_id


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def when(value: Any) -> datetime | date | None:
    """An ``EventDateTime``: a date for all-day events, else an aware instant; None when the
    event carries no time (a deleted one)."""
    fields = obj(value)
    try:
        if fields.get("date"):
            return date.fromisoformat(text(fields["date"]))
        if fields.get("dateTime"):
            moment = datetime.fromisoformat(text(fields["dateTime"]))
            return moment if moment.tzinfo else None
    except ValueError:
        raise ConnectorError("google: unreadable event time", permanent=True) from None
    return None


def _declined_by_owner(event: dict[str, Any]) -> bool:
    attendees = event.get("attendees")
    return isinstance(attendees, list) and any(
        obj(a).get("self") and obj(a).get("responseStatus") == "declined" for a in attendees
    )


def busy_interval(event: dict[str, Any]) -> BusyInterval | None:
    """The time an expanded event (a single event or one instance) blocks, or None.

    Never busy: cancelled events (deleted, or a deleted instance), transparent ones ("show
    me as available") and invitations the calendar's owner declined. Tentative stays
    "tentative" for the availability policy to weigh."""
    status = text(event.get("status")) or "confirmed"
    if status == "cancelled" or event.get("transparency") == "transparent":
        return None
    if _declined_by_owner(event):
        return None
    start, end = when(event.get("start")), when(event.get("end"))
    if start is None or end is None:
        return None
    return BusyInterval(
        start=start,
        end=end,
        status="tentative" if status == "tentative" else "busy",
        event_id=text(event.get("id")),
    )


def calendar_event(calendar_id: str, event: dict[str, Any]) -> CalendarEvent:
    private = obj(obj(event.get("extendedProperties")).get("private"))
    listed = event.get("attendees")
    attendees: list[Any] = listed if isinstance(listed, list) else []
    owner_declined = _declined_by_owner(event)
    return CalendarEvent(
        calendar_id=calendar_id,
        id=text(event.get("id")),
        start=when(event.get("start")),
        end=when(event.get("end")),
        status=text(event.get("status")) or "confirmed",
        transparent=event.get("transparency") == "transparent" or owner_declined,
        owner_declined=owner_declined,
        summary=text(event.get("summary")),
        etag=text(event.get("etag")),
        booking_id=text(private.get(BOOKING_PROPERTY)),
        recurring_event_id=text(event.get("recurringEventId")),
        declined_by=tuple(
            text(obj(a).get("email"))
            for a in attendees
            if obj(a).get("responseStatus") == "declined" and obj(a).get("email")
        ),
    )


def _moment(value: datetime, zone_name: str, field: str) -> dict[str, str]:
    if value.tzinfo is None:
        raise ConnectorError(f"google: {field} must be an aware datetime", permanent=True)
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConnectorError(f"google: unknown time zone {zone_name!r}", permanent=True) from None
    return {"dateTime": value.astimezone(zone).isoformat(), "timeZone": zone_name}


def event_body(draft: EventDraft) -> dict[str, Any]:
    """The writable fields of the event a draft describes (insert and patch)."""
    private = {BOOKING_PROPERTY: draft.booking_id}
    if draft.source_tag:
        private[SOURCE_PROPERTY] = draft.source_tag
    return {
        "summary": draft.summary,
        "description": draft.description,
        "location": draft.location,
        "start": _moment(draft.start, draft.time_zone, "start"),
        "end": _moment(draft.end, draft.time_zone, "end"),
        "attendees": [{"email": address} for address in draft.attendees],
        "extendedProperties": {"private": private},
    }


def channel_expiry(value: Any) -> datetime:
    """``Channel.expiration``: Unix milliseconds, as a string (int64 in the discovery doc)."""
    try:
        return datetime.fromtimestamp(int(text(value) or value) / 1000, UTC)
    except (TypeError, ValueError):
        raise ConnectorError("google: watch answer without an expiration", permanent=True) from None
