"""Microsoft Graph's event JSON to our calendar models and back (wire format only).

Reads assume ``Prefer: outlook.timezone="UTC"``: timed events come back as UTC wall times;
an all-day event (``isAllDay``) is midnight to midnight and is returned as dates, which only
the owner's zone turns into instants (learn.microsoft.com/graph/api/resources/event and
datetimetimezone, checked 2026-12-05).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors import crm_support as s
from connectors.base import BusyInterval, CalendarEvent, CalendarInfo, ConnectorError, EventDraft

# Our named extended properties (MAPI named properties in a property set we own; the GUID is
# Switchboard's, made once): how an event in Outlook says it is ours and which booking it is.
PROPERTY_SET = "{4f1c2a7e-5d3b-4e8a-9c61-2b7d0e9f3a15}"
BOOKING_PROPERTY = f"String {PROPERTY_SET} Name SwitchboardBookingId"
SOURCE_PROPERTY = f"String {PROPERTY_SET} Name SwitchboardSourceTag"
# showAs values that block time; "free" never does, "tentative" is reported as such.
# "workingElsewhere" and "unknown" are treated as busy: a slot is never offered over them.
BLOCKING = {
    "busy": "busy",
    "oof": "busy",
    "workingElsewhere": "busy",
    "unknown": "busy",
    "tentative": "tentative",
}
REMOVED = date.min  # a deleted event in a delta page carries only its id, no times


def _bad(what: str) -> ConnectorError:
    return ConnectorError(f"outlook: unreadable {what}", code="bad_response", permanent=True)


def instant(value: Any) -> datetime:
    """A ``dateTimeTimeZone`` (UTC as we ask for it, or an IANA zone) as an aware datetime."""
    obj = s.obj(value)
    text, zone_name = s.text(obj.get("dateTime")), s.text(obj.get("timeZone")) or "UTC"
    head, _, fraction = text.partition(".")
    try:
        naive = datetime.fromisoformat(head).replace(microsecond=int((fraction + "000000")[:6]))
        zone = UTC if zone_name in ("UTC", "Etc/UTC") else ZoneInfo(zone_name)
    except (ValueError, ZoneInfoNotFoundError):
        raise _bad("event time") from None
    return naive.replace(tzinfo=zone).astimezone(UTC)


def day(value: Any) -> date:
    try:
        return date.fromisoformat(s.text(s.obj(value).get("dateTime"))[:10])
    except ValueError:
        raise _bad("all-day date") from None


def span(event: dict[str, Any]) -> tuple[datetime | date, datetime | date]:
    if event.get("isAllDay"):
        return day(event.get("start")), day(event.get("end"))
    return instant(event.get("start")), instant(event.get("end"))


def busy_interval(event: dict[str, Any]) -> BusyInterval | None:
    """The time an event blocks, or None (free, cancelled)."""
    status = BLOCKING.get(s.text(event.get("showAs")) or "busy")
    if status is None or event.get("isCancelled") or _declined_by_owner(event):
        return None
    start, end = span(event)
    return BusyInterval(start=start, end=end, status=status, event_id=s.text(event.get("id")))


def _declined_by_owner(event: dict[str, Any]) -> bool:
    """The mailbox owner's own answer (``responseStatus``): an invitation they declined stays
    in their calendar, and blocks nothing."""
    return s.text(s.obj(event.get("responseStatus")).get("response")) == "declined"


def _booking_id(event: dict[str, Any]) -> str:
    """Our extended property when the answer carries it (reads that ``$expand`` it), else the
    event's ``transactionId`` (delta cannot expand): ours is the booking id, but another app
    may set its own, so a caller matches it against its bookings rather than trusting it."""
    for prop in s.items(event.get("singleValueExtendedProperties")):
        if s.text(s.obj(prop).get("id")).lower() == BOOKING_PROPERTY.lower():
            return s.text(s.obj(prop).get("value"))
    return s.text(event.get("transactionId"))


def calendar_event(calendar_id: str, event: dict[str, Any]) -> CalendarEvent:
    """A Graph event (or a delta entry, ``@removed`` for a deleted one) as ours."""
    if "@removed" in event:
        return CalendarEvent(
            calendar_id=calendar_id,
            id=s.text(event.get("id")),
            start=REMOVED,
            end=REMOVED,
            status="cancelled",
        )
    start, end = span(event)
    show_as = s.text(event.get("showAs"))
    status = (
        "cancelled"
        if event.get("isCancelled")
        else ("tentative" if show_as == "tentative" else "confirmed")
    )
    declined = tuple(
        s.text(s.obj(s.obj(a).get("emailAddress")).get("address")).lower()
        for a in s.items(event.get("attendees"))
        if s.text(s.obj(s.obj(a).get("status")).get("response")) == "declined"
    )
    owner_declined = _declined_by_owner(event)
    return CalendarEvent(
        calendar_id=calendar_id,
        id=s.text(event.get("id")),
        start=start,
        end=end,
        status=status,
        transparent=show_as == "free" or owner_declined,
        summary=s.text(event.get("subject")),
        etag=s.text(event.get("@odata.etag")),
        booking_id=_booking_id(event),
        recurring_event_id=s.text(event.get("seriesMasterId")),
        declined_by=declined,
        owner_declined=owner_declined,
    )


def calendar_info(row: dict[str, Any]) -> CalendarInfo:
    # Graph's calendar has no time zone of its own (the mailbox's is in mailboxSettings, a
    # scope we do not ask for), so ``time_zone`` stays "" and the client's zone is used.
    return CalendarInfo(
        id=s.text(row.get("id")),
        name=s.text(row.get("name")),
        can_write=bool(row.get("canEdit")),
        primary=bool(row.get("isDefaultCalendar")),
    )


def _local(moment: datetime, zone_name: str) -> dict[str, str]:
    try:
        local = moment.astimezone(ZoneInfo(zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConnectorError(
            f"outlook: unknown time zone {zone_name!r}", code="bad_zone", permanent=True
        ) from None
    return {
        "dateTime": local.replace(tzinfo=None).isoformat(timespec="seconds"),
        "timeZone": zone_name,
    }


def event_body(draft: EventDraft, *, creating: bool) -> dict[str, Any]:
    """The JSON of a create (with ``transactionId`` and our extended properties, which Graph
    will not let an update change) or of an update."""
    if draft.start.tzinfo is None or draft.end.tzinfo is None:
        raise ConnectorError(
            "outlook: event times must be aware", code="naive_time", permanent=True
        )
    body: dict[str, Any] = {
        "subject": draft.summary,
        "body": {"contentType": "text", "content": draft.description},
        "start": _local(draft.start, draft.time_zone),
        "end": _local(draft.end, draft.time_zone),
        "location": {"displayName": draft.location},
        "attendees": [
            {"emailAddress": {"address": a}, "type": "required"} for a in draft.attendees
        ],
        "showAs": "busy",
    }
    if creating:
        body["transactionId"] = draft.booking_id
        props = [{"id": BOOKING_PROPERTY, "value": draft.booking_id}]
        if draft.source_tag:
            props.append({"id": SOURCE_PROPERTY, "value": draft.source_tag})
        body["singleValueExtendedProperties"] = props
    return body
