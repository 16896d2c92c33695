"""Pipedrive: a booking as an activity of type ``meeting`` on the person.

From Pipedrive's API v2 (client-nodejs ``src/versions/v2/models/add-activity-request.ts`` and
``api/activities-api.ts``, read 2026-12-05): ``POST /api/v2/activities`` and
``PATCH /api/v2/activities/{id}`` take ``subject``, ``type`` (an activity type's key; the
default types include ``meeting``), ``due_date`` (YYYY-MM-DD), ``due_time`` and ``duration``
(HH:MM, in UTC), ``person_id``, ``participants`` (``[{"person_id", "primary"}]``), ``busy``,
``done`` and ``note`` (HTML). v2 rejects any other field. The scope is ``activities:full``.
An activity has no outcome: an attended or missed meeting is ``done`` with the outcome in
front of its subject and on a line of its note; a cancelled one is done and not busy.

v2's list of activities has no person filter, so a re-run reads the person's activities with
v1 ``GET /api/v1/persons/{id}/activities`` and compares our booking reference in the note.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC
from typing import Any

from connectors import crm_support as s
from connectors.base import CrmRecord, MeetingDraft, carries_reference
from connectors.http import VendorHttp

FIELDS = ("subject", "due_date", "due_time", "duration", "done", "busy", "note")
PAGE = 500


def activity_values(draft: MeetingDraft) -> dict[str, Any]:
    start = draft.start.astimezone(UTC)
    minutes = int((draft.end - draft.start).total_seconds() // 60)
    lines = draft.body(outcome_line=True).splitlines()
    return {
        "subject": draft.labelled_title(),
        "type": "meeting",
        "due_date": start.strftime("%Y-%m-%d"),
        "due_time": start.strftime("%H:%M"),
        "duration": f"{minutes // 60:02d}:{minutes % 60:02d}",
        "done": draft.outcome in ("completed", "no_show", "cancelled"),
        "busy": draft.outcome != "cancelled",
        "note": "<br>".join(html.escape(line) for line in lines),
    }


def meeting_restore_body(values: dict[str, str]) -> dict[str, Any]:
    """An activity's previous values (read back as text by ``update_meeting``) as the v2
    schema types them, to put them back (rollback)."""
    flags = {k: v == "true" for k, v in values.items() if k in ("done", "busy")}
    return {**{k: v for k, v in values.items() if k not in flags and v != ""}, **flags}


def _fields(row: dict[str, Any]) -> dict[str, str]:
    return {k: s.text(row.get(k)) for k in FIELDS}


class PipedriveMeetings:
    """The meeting half of ``PipedriveClient`` (``CrmClient.log_meeting`` and friends)."""

    http: VendorHttp
    # The client's call that answers Pipedrive's ``data``.
    _data: Callable[..., Any]

    def log_meeting(self, contact_id: str, draft: MeetingDraft) -> CrmRecord:
        found = self.find_meeting(contact_id, draft.booking_id)
        if found is not None:
            return CrmRecord(id=found.id, object_type="meeting", fields=found.fields, existed=True)
        body = {
            **activity_values(draft),
            "person_id": int(contact_id),
            "participants": [{"person_id": int(contact_id), "primary": True}],
        }
        row = s.obj(self._data("POST", "/api/v2/activities", json=body))
        return CrmRecord(id=s.text(row.get("id")), object_type="meeting", fields=_fields(row))

    def update_meeting(self, record_id: str, draft: MeetingDraft) -> CrmRecord:
        path = f"/api/v2/activities/{record_id}"
        previous = _fields(s.obj(self._data("GET", path)))
        self._data("PATCH", path, json=activity_values(draft))
        return CrmRecord(id=record_id, object_type="meeting", fields=previous)

    def find_meeting(self, contact_id: str, booking_id: str) -> CrmRecord | None:
        params: dict[str, Any] = {"start": 0, "limit": PAGE}
        while True:
            response = self.http.request(
                "GET", f"/api/v1/persons/{contact_id}/activities", params=params
            )
            body = s.obj(response.json())
            for row in map(s.obj, s.items(body.get("data"))):  # null when there are none
                if carries_reference(html.unescape(s.text(row.get("note"))), booking_id):
                    return CrmRecord(id=s.text(row.get("id")), object_type="meeting",
                                     fields=_fields(row))  # fmt: skip
            paging = s.obj(s.obj(body.get("additional_data")).get("pagination"))
            if not paging.get("more_items_in_collection"):
                return None
            params["start"] = paging.get("next_start")
