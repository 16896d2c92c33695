"""What Graph refuses in an event body: properties ``microsoft.graph.event`` does not declare or
that are read-only, malformed ``dateTimeTimeZone`` objects, unknown time zones, values outside
an enumeration, an all-day event not at midnight (learn.microsoft.com/graph/api/resources/event,
user-post-events, event-update; checked 2026-12-05)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from emulators.graph import recurrence, zones

WRITABLE = {
    "allowNewTimeProposals",
    "attendees",
    "body",
    "categories",
    "end",
    "hideAttendees",
    "importance",
    "isAllDay",
    "isOnlineMeeting",
    "isReminderOn",
    "location",
    "locations",
    "onlineMeetingProvider",
    "recurrence",
    "reminderMinutesBeforeStart",
    "responseRequested",
    "sensitivity",
    "showAs",
    "start",
    "subject",
    "transactionId",
    "singleValueExtendedProperties",
    "multiValueExtendedProperties",
    "@odata.type",
}
ENUMS = {
    "showAs": (
        "freeBusyStatus",
        ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown"),
    ),
    "importance": ("importance", ("low", "normal", "high")),
    "sensitivity": ("sensitivity", ("normal", "personal", "private", "confidential")),
}
ATTENDEE_TYPES = ("required", "optional", "resource")
# A named string property: "String {GUID} Name <name>" (singleValueLegacyExtendedProperty).
EXTENDED_ID = re.compile(
    r"^(String|Integer|Boolean|SystemTime) \{[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\}"
    r" Name \S+$"
)


class Refusal(Exception):
    """A request Graph refuses: status, Graph error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def unknown(name: str, type_name: str = "event") -> Refusal:
    return Refusal(
        400,
        "RequestBodyRead",
        f"The property '{name}' does not exist on type 'microsoft.graph.{type_name}'. Make sure "
        "to only use property names that are defined by the type or mark the type as open type.",
    )


def event_body(body: Any, *, creating: bool) -> dict[str, Any]:
    """The body if Graph would take it for a create (``creating``) or an update; else raises
    ``Refusal``."""
    if not isinstance(body, dict):
        raise Refusal(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure "
            "Content-Type header is set and payload is of valid JSON format.",
        )
    for name in body:
        if name not in WRITABLE:
            raise unknown(name)
    if creating and ("start" not in body or "end" not in body):
        raise Refusal(
            400,
            "ErrorInvalidRequest",
            "Your request can't be completed. The start and end of the event are required.",
        )
    for name, (type_name, allowed) in ENUMS.items():
        if name in body and body[name] not in allowed:
            raise Refusal(
                400,
                "RequestBodyRead",
                f"Cannot convert the literal '{body[name]}' to "
                f"the expected type 'microsoft.graph.{type_name}'.",
            )
    _check_texts(body)
    _check_attendees(body.get("attendees"))
    _check_extended(body.get("singleValueExtendedProperties"))
    if body.get("recurrence") is not None:
        try:
            recurrence.check(body["recurrence"])
        except recurrence.RecurrenceError as exc:
            raise Refusal(400, "ErrorInvalidRequest", str(exc)) from None
    return body


def times(data: dict[str, Any]) -> tuple[datetime, datetime]:
    """The event's (start, end) instants, checked; raises ``Refusal``."""
    try:
        start, _ = zones.parse(data.get("start"))
        end, _ = zones.parse(data.get("end"))
    except zones.ZoneError as exc:
        raise Refusal(
            400,
            "TimeZoneNotSupportedException",
            "A valid TimeZone value must be "
            f"specified. The following TimeZone value is not supported: '{exc}'.",
        ) from None
    except zones.DateTimeError as exc:
        raise Refusal(
            400,
            "RequestBodyRead",
            f"Cannot convert the literal '{exc}' to the expected type 'Edm.DateTimeOffset'.",
        ) from None
    if end < start:
        raise Refusal(400, "ErrorInvalidRequest", "The end time of the event is before its start.")
    if data.get("isAllDay"):
        _check_all_day(data)
    return start, end


def _check_all_day(data: dict[str, Any]) -> None:
    """All-day: both ends at midnight of the same zone, at least a day apart."""
    walls = [str(data[k].get("dateTime", "")) for k in ("start", "end")]
    if any(w[11:19] not in ("", "00:00:00") for w in walls) or walls[0][:10] >= walls[1][:10]:
        raise Refusal(
            400,
            "ErrorInvalidRequest",
            "An all-day event must start and end at midnight, and span at least one day.",
        )
    if data["start"].get("timeZone") != data["end"].get("timeZone"):
        raise Refusal(
            400, "ErrorInvalidRequest", "An all-day event must start and end in the same time zone."
        )


# The emulator's own cap (Graph documents none): what its column holds.
TRANSACTION_ID_MAX = 255


def _check_texts(body: dict[str, Any]) -> None:
    if len(str(body.get("transactionId") or "")) > TRANSACTION_ID_MAX:
        raise Refusal(400, "ErrorInvalidRequest", "transactionId is too long.")
    for name in ("subject", "transactionId"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            raise Refusal(
                400,
                "RequestBodyRead",
                f"Cannot convert a value to 'Edm.String' for property '{name}'.",
            )
    content = body.get("body")
    if content is not None:
        if not isinstance(content, dict):
            raise unknown("body")
        for name in content:
            if name not in ("contentType", "content", "@odata.type"):
                raise unknown(name, "itemBody")
        if content.get("contentType", "text").lower() not in ("text", "html"):
            raise Refusal(
                400,
                "RequestBodyRead",
                "Cannot convert the literal "
                f"'{content.get('contentType')}' to 'microsoft.graph.bodyType'.",
            )


def _check_attendees(attendees: Any) -> None:
    if attendees is None:
        return
    if not isinstance(attendees, list):
        raise unknown("attendees")
    for attendee in attendees:
        if not isinstance(attendee, dict):
            raise unknown("attendees")
        for name in attendee:
            if name not in ("emailAddress", "type", "status", "@odata.type"):
                raise unknown(name, "attendee")
        address = attendee.get("emailAddress")
        if not isinstance(address, dict) or "@" not in str(address.get("address", "")):
            raise Refusal(400, "ErrorInvalidRecipients", "At least one recipient is not valid.")
        if attendee.get("type", "required") not in ATTENDEE_TYPES:
            raise Refusal(
                400,
                "RequestBodyRead",
                "Cannot convert the literal "
                f"'{attendee.get('type')}' to 'microsoft.graph.attendeeType'.",
            )


def _check_extended(properties: Any) -> None:
    if properties is None:
        return
    if not isinstance(properties, list):
        raise unknown("singleValueExtendedProperties")
    for prop in properties:
        if not isinstance(prop, dict) or set(prop) - {"id", "value", "@odata.type"}:
            raise unknown("singleValueExtendedProperties")
        if not EXTENDED_ID.match(str(prop.get("id", ""))) or not isinstance(prop.get("value"), str):
            raise Refusal(
                400,
                "ErrorInvalidExtendedPropertyValue",
                f"The extended property id '{prop.get('id')}' is not valid.",
            )
