"""Zoho CRM: a booking as a record of the ``Events`` module, related to the contact.

From Zoho's Events response structure (https://www.zoho.com/crm/developer/docs/api/
events-response.html) and its "Handling recurrence and participants in the Events module via
API" post (help.zoho.com, Kaizen #8), read 2026-12-05: ``Event_Title`` and ``Start_DateTime``
are mandatory, ``End_DateTime`` closes the event (ISO 8601 with the offset,
``2027-03-28T10:30:00+02:00``), ``Who_Id`` (``{"id"}``) is the contact the event is related
to and ``Participants`` (``[{"type": "contact", "participant": id}]``) those invited;
``Venue`` and ``Description`` are text. Zoho's events have no outcome field: the outcome goes
in front of the title and on a line of the description.

A re-run finds the event by searching Events related to the contact (criteria on the
``Who_Id`` lookup) and comparing our booking reference in the description.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from connectors import crm_support as s
from connectors.base import CrmRecord, MeetingDraft, carries_reference
from connectors.http import VendorHttp

ROOT = "/crm/v8"
FIELDS = ("Event_Title", "Start_DateTime", "End_DateTime", "Description", "Venue", "Who_Id")


def event_values(draft: MeetingDraft) -> dict[str, Any]:
    zone = ZoneInfo(draft.time_zone)
    return {
        "Event_Title": draft.labelled_title()[:255],
        "Start_DateTime": draft.start.astimezone(zone).isoformat(timespec="seconds"),
        "End_DateTime": draft.end.astimezone(zone).isoformat(timespec="seconds"),
        "Description": draft.body(outcome_line=True),
        "Venue": draft.location[:255],
    }


class ZohoMeetings:
    """The meeting half of ``ZohoClient`` (``CrmClient.log_meeting`` and friends)."""

    http: VendorHttp
    # The client's per-record write (Zoho's data/code/details answers) and one-record read.
    _write: Callable[[str, str, dict[str, Any]], dict[str, Any]]
    _require: Callable[[str, str], dict[str, Any]]

    def log_meeting(self, contact_id: str, draft: MeetingDraft) -> CrmRecord:
        found = self.find_meeting(contact_id, draft.booking_id)
        if found is not None:
            return CrmRecord(id=found.id, object_type="meeting", fields=found.fields, existed=True)
        values = {
            **event_values(draft),
            "Who_Id": {"id": contact_id},
            "Participants": [{"type": "contact", "participant": contact_id}],
        }
        details = self._write("POST", f"{ROOT}/Events", values)
        fields = {k: s.text(v) for k, v in values.items() if isinstance(v, str)}
        return CrmRecord(id=s.text(details.get("id")), object_type="meeting", fields=fields)

    def update_meeting(self, record_id: str, draft: MeetingDraft) -> CrmRecord:
        values = event_values(draft)
        current = self._require("Events", record_id)
        self._write("PUT", f"{ROOT}/Events/{record_id}", values)
        previous = {k: s.text(current.get(k)) for k in values}
        return CrmRecord(id=record_id, object_type="meeting", fields=previous)

    def find_meeting(self, contact_id: str, booking_id: str) -> CrmRecord | None:
        params = {"criteria": f"(Who_Id:equals:{contact_id})", "fields": ",".join(FIELDS),
                  "per_page": 200}  # fmt: skip
        response = self.http.request(
            "GET", f"{ROOT}/Events/search", params=params, expect=(200, 204)
        )
        for row in map(s.obj, s.items(s.obj(s.json_of(response)).get("data"))):
            if carries_reference(s.text(row.get("Description")), booking_id):
                fields = {k: s.text(row.get(k)) for k in FIELDS if k != "Who_Id"}
                return CrmRecord(id=s.text(row.get("id")), object_type="meeting", fields=fields)
        return None
