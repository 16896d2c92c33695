"""HubSpot: a booking as a meeting engagement on the contact (``/crm/v3/objects/meetings``).

From HubSpot's meetings guide (https://developers.hubspot.com/docs/api/crm/meetings and
https://developers.hubspot.com/docs/api-reference/latest/crm/activities/meetings/guide.md,
read 2026-12-05): the properties are ``hs_timestamp`` (required; it defaults to
``hs_meeting_start_time`` when missing), ``hs_meeting_title``, ``hs_meeting_body``,
``hs_meeting_location``, ``hs_meeting_start_time``, ``hs_meeting_end_time`` (UTC, ISO 8601 or
epoch milliseconds) and ``hs_meeting_outcome`` (``SCHEDULED``, ``COMPLETED``, ``RESCHEDULED``,
``NO_SHOW``, ``CANCELED``); the meeting is associated with the contact inline, HubSpot-defined
type 200 (meeting to contact; 199 from the contact's side). The scopes are those of the
object it is logged on (``crm.objects.contacts.write``).

HubSpot has no idempotency key for engagements, so the meeting's body carries our booking
reference and a re-run reads the contact's associated meetings (not CRM search, which lags a
write) before it creates one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectors import crm_support as s
from connectors.base import CrmRecord, MeetingDraft, carries_reference
from connectors.http import VendorHttp

MEETING_TO_CONTACT = 200
OUTCOMES = {
    "scheduled": "SCHEDULED",
    "completed": "COMPLETED",
    "no_show": "NO_SHOW",
    "cancelled": "CANCELED",
    "rescheduled": "RESCHEDULED",
}
PROPERTIES = (
    "hs_timestamp", "hs_meeting_title", "hs_meeting_body", "hs_meeting_location",
    "hs_meeting_start_time", "hs_meeting_end_time", "hs_meeting_outcome",
)  # fmt: skip


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def meeting_properties(draft: MeetingDraft) -> dict[str, str]:
    props = {
        "hs_timestamp": _instant(draft.start),
        "hs_meeting_title": draft.title,
        "hs_meeting_body": draft.body(),
        "hs_meeting_start_time": _instant(draft.start),
        "hs_meeting_end_time": _instant(draft.end),
        "hs_meeting_outcome": OUTCOMES[draft.outcome],
    }
    if draft.location:
        props["hs_meeting_location"] = draft.location
    return props


class HubSpotMeetings:
    """The meeting half of ``HubSpotClient`` (``CrmClient.log_meeting`` and friends)."""

    http: VendorHttp
    # The client's reader of a contact's associated records (ids, then batch read).
    _associated: Callable[[str, str, list[str]], list[dict[str, Any]]]

    def log_meeting(self, contact_id: str, draft: MeetingDraft) -> CrmRecord:
        found = self.find_meeting(contact_id, draft.booking_id)
        if found is not None:
            return CrmRecord(id=found.id, object_type="meeting", fields=found.fields, existed=True)
        props = meeting_properties(draft)
        association = {
            "to": {"id": contact_id},
            "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": MEETING_TO_CONTACT}
            ],
        }
        body = {"properties": props, "associations": [association]}
        data = s.obj(self.http.request("POST", "/crm/v3/objects/meetings", json=body).json())
        return CrmRecord(id=s.text(data.get("id")), object_type="meeting", fields=props)

    def update_meeting(self, record_id: str, draft: MeetingDraft) -> CrmRecord:
        path = f"/crm/v3/objects/meetings/{record_id}"
        props = meeting_properties(draft)
        current = s.obj(
            s.obj(
                self.http.request("GET", path, params={"properties": ",".join(PROPERTIES)}).json()
            ).get("properties")
        )
        previous = {k: s.text(current.get(k)) for k in props}
        self.http.request("PATCH", path, json={"properties": props})
        return CrmRecord(id=record_id, object_type="meeting", fields=previous)

    def find_meeting(self, contact_id: str, booking_id: str) -> CrmRecord | None:
        for row in self._associated("meetings", contact_id, list(PROPERTIES)):
            props = {k: s.text(v) for k, v in s.obj(row.get("properties")).items()}
            if carries_reference(props.get("hs_meeting_body", ""), booking_id):
                return CrmRecord(id=s.text(row.get("id")), object_type="meeting", fields=props)
        return None
