"""Salesforce: a booking as an ``Event`` on the contact.

From the Object Reference, Event (https://developer.salesforce.com/docs/platform/
object-reference/references/standard-objects/object-event.html and the field reference,
read 2026-12-05): ``Subject`` (combobox, 255), ``StartDateTime`` and ``EndDateTime``
(dateTime, "always transferred in the Coordinated Universal Time (UTC) time zone"; a timed
event needs ``EndDateTime`` or ``DurationInMinutes``), ``WhoId`` (the contact or lead),
``Description`` (textarea, 32,000) and ``Location`` (string, 255). An Event has no outcome
field: the outcome goes in front of the subject and on a line of the description, and a
cancelled event is shown as free (``ShowAs``) so it no longer blocks the owner's calendar.

``Description`` is a long text area, which SOQL cannot filter on, so the contact's events are
read by ``WhoId`` and our booking reference is compared here (as ``find_note`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from connectors import crm_support as s
from connectors.base import CrmRecord, MeetingDraft, carries_reference
from connectors.http import VendorHttp

FIELDS = ("Subject", "StartDateTime", "EndDateTime", "Description", "Location", "ShowAs")


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def event_values(draft: MeetingDraft) -> dict[str, str]:
    return {
        "Subject": draft.labelled_title()[:255],
        "StartDateTime": _instant(draft.start),
        "EndDateTime": _instant(draft.end),
        "Description": draft.body(outcome_line=True),
        "Location": draft.location[:255],
        "ShowAs": "Free" if draft.outcome == "cancelled" else "Busy",
    }


class SalesforceMeetings:
    """The meeting half of ``SalesforceClient`` (``CrmClient.log_meeting`` and friends)."""

    http: VendorHttp
    root: str
    # The client's readers and writers (SOQL with paging, one record's fields, a PATCH).
    query: Callable[..., Iterator[dict[str, Any]]]
    _get: Callable[[str, str, list[str]], dict[str, str]]
    _create: Callable[[str, dict[str, Any]], str]

    def log_meeting(self, contact_id: str, draft: MeetingDraft) -> CrmRecord:
        found = self.find_meeting(contact_id, draft.booking_id)
        if found is not None:
            return CrmRecord(id=found.id, object_type="meeting", fields=found.fields, existed=True)
        values = {**event_values(draft), "WhoId": contact_id}
        values = {k: v for k, v in values.items() if v}
        return CrmRecord(id=self._create("Event", values), object_type="meeting", fields=values)

    def update_meeting(self, record_id: str, draft: MeetingDraft) -> CrmRecord:
        values = event_values(draft)
        previous = self._get("Event", record_id, list(values))
        body = {k: (v if v != "" else None) for k, v in values.items()}  # null clears
        self.http.request("PATCH", f"{self.root}/sobjects/Event/{record_id}", json=body,
                          expect=(204,))  # fmt: skip
        return CrmRecord(id=record_id, object_type="meeting",
                         fields={k: previous.get(k, "") for k in values})  # fmt: skip

    def find_meeting(self, contact_id: str, booking_id: str) -> CrmRecord | None:
        from connectors.salesforce.client import soql_quote  # the client imports this module

        soql = f"SELECT Id, {', '.join(FIELDS)} FROM Event WHERE WhoId = {soql_quote(contact_id)}"  # noqa: S608 -- literal through soql_quote
        for row in self.query(soql):
            if carries_reference(s.text(row.get("Description")), booking_id):
                fields = {k: s.text(row.get(k)) for k in FIELDS}
                return CrmRecord(id=s.text(row.get("Id")), object_type="meeting", fields=fields)
        return None
