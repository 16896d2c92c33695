"""Event bodies checked the way Google checks them on insert and patch.

Field names are the ``Event`` schema's properties in the discovery document
(``shared/vendor-specs/google-calendar/calendar-v3.json``, revision 20230217); read-only
ones a client echoes back are accepted and ignored, names the schema lacks are refused.
"""

from __future__ import annotations

import re
from typing import Any

from emulators.google_calendar import expand
from emulators.google_calendar.errors import GoogleError, invalid, required
from emulators.google_calendar.times import when

EVENT_FIELDS = frozenset((
    "anyoneCanAddSelf", "attachments", "attendees", "attendeesOmitted", "colorId",
    "conferenceData", "created", "creator", "description", "end", "endTimeUnspecified", "etag",
    "eventType", "extendedProperties", "gadget", "guestsCanInviteOthers", "guestsCanModify",
    "guestsCanSeeOtherGuests", "hangoutLink", "htmlLink", "iCalUID", "id", "kind", "location",
    "locked", "organizer", "originalStartTime", "privateCopy", "recurrence", "recurringEventId",
    "reminders", "sequence", "source", "start", "status", "summary", "transparency", "updated",
    "visibility", "workingLocationProperties",
))  # fmt: skip
READ_ONLY = frozenset(
    ("created", "creator", "etag", "hangoutLink", "htmlLink", "kind", "locked", "updated")
)
ENUMS = {
    "status": ("confirmed", "tentative", "cancelled"),
    "transparency": ("opaque", "transparent"),
    "visibility": ("default", "public", "private", "confidential"),
}
# base32hex (RFC 2938 3.1.2): a-v and 0-9, 5 to 1024 characters (Event.id in the discovery doc).
EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
TEXT_FIELDS = ("summary", "description", "location", "colorId")


def body_fields(body: object) -> dict[str, Any]:
    """The writable fields of a request body; 400 for a body that is not an Event."""
    if not isinstance(body, dict):
        raise GoogleError(400, "Parse Error", "parseError")
    unknown = sorted(set(body) - EVENT_FIELDS)
    if unknown:
        raise invalid(
            f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.'
        )
    return {k: v for k, v in body.items() if k not in READ_ONLY}


def check_id(event_id: object) -> str:
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        raise invalid("Invalid resource id value.", location="id")
    return event_id


def check_event(event: dict[str, Any]) -> None:
    """The whole resource after an insert or a patch is applied: times, enums, attendees,
    extended properties, recurrence. Times are stored as Google answers with them: a
    ``dateTime`` always with its offset, beside the ``timeZone`` the client named."""
    for name in ("start", "end"):
        if name not in event:
            raise required(f"Missing {name} time.", location=name)
    start, end = when(event["start"], field="start"), when(event["end"], field="end")
    event["start"], event["end"] = start.as_json(), end.as_json()
    if "originalStartTime" in event:
        original = when(event["originalStartTime"], field="originalStartTime")
        event["originalStartTime"] = original.as_json()
    if (start.day is None) != (end.day is None):
        raise invalid("Invalid start time.", location="start")
    if start.day is not None and end.day is not None:
        empty = end.day <= start.day
    else:
        assert start.moment is not None and end.moment is not None
        empty = end.moment <= start.moment
    if empty:
        raise GoogleError(
            400, "The specified time range is empty.", "timeRangeEmpty", domain="calendar"
        )
    for name, allowed in ENUMS.items():
        if name in event and event[name] not in allowed:
            raise invalid(f"Invalid value for: {name}", location=name)
    for name in TEXT_FIELDS:
        if name in event and not isinstance(event[name], str):
            raise invalid(f"Invalid value for: {name}", location=name)
    _check_attendees(event.get("attendees", []))
    _check_properties(event.get("extendedProperties", {}))
    if event.get("recurrence"):
        expand.rules(event)


def _check_attendees(attendees: object) -> None:
    if not isinstance(attendees, list):
        raise invalid("Invalid value for: attendees", location="attendees")
    for attendee in attendees:
        if not isinstance(attendee, dict) or not attendee.get("email"):
            raise required("Missing attendee email.", location="attendees")
        if "@" not in str(attendee["email"]):
            raise invalid("Invalid attendee email.", location="attendees")


def _check_properties(properties: object) -> None:
    if not isinstance(properties, dict) or set(properties) - {"private", "shared"}:
        raise invalid("Invalid value for: extendedProperties", location="extendedProperties")
    for scope in properties.values():
        if not isinstance(scope, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in scope.items()
        ):
            raise invalid("Invalid value for: extendedProperties", location="extendedProperties")


def patched(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics: fields given replace the stored ones; extended properties merge per
    scope (private, shared) as Google merges them."""
    merged = {**current, **changes}
    if "extendedProperties" in changes and isinstance(changes["extendedProperties"], dict):
        old = current.get("extendedProperties") or {}
        merged["extendedProperties"] = {
            scope: {**(old.get(scope) or {}), **(values or {})}
            if isinstance(values, dict)
            else values
            for scope, values in {**old, **changes["extendedProperties"]}.items()
        }
    return merged
