"""The meeting lifecycle every CRM client goes through against its emulator (``log_meeting``,
``find_meeting``, ``update_meeting``, ``delete``), called by each vendor's ``test_meetings``.
The oracle is what the emulator stored, not what the client says it did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from connectors.base import CrmContact, MeetingDraft
from emulators.crm import control

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2027, 3, 28, 10, 30, tzinfo=BERLIN)  # the morning after Berlin springs forward


def draft(booking_id: str = "bk-1", **changes) -> MeetingDraft:
    values = {
        "booking_id": booking_id, "title": "Consultation with Ada", "start": START,
        "end": START + timedelta(minutes=45), "time_zone": "Europe/Berlin",
        "description": "Booked by the chatbot.", "location": "Main street 1",
        "source_tag": "AI_Chatbot",
    }  # fmt: skip
    return MeetingDraft(**{**values, **changes})


def stored_meetings(vendor: str, account: str, object_type: str) -> list[dict]:
    return control.records(vendor, account, object_type)


def run_lifecycle(crm, vendor: str, account: str, object_type: str) -> tuple[dict, dict]:
    """Log a meeting twice (one stored), move it and mark it a no-show, delete it twice.
    Returns the stored meeting as first logged and after the update, for vendor checks."""
    contact = crm.create_contact(
        CrmContact(email="ada@example.com", first_name="Ada", last_name="Lovelace"),
        source_tag="AI_Chatbot",
    )
    assert crm.find_meeting(contact.id, "bk-1") is None
    first = crm.log_meeting(contact.id, draft())
    assert first.object_type == "meeting" and not first.existed
    again = crm.log_meeting(contact.id, draft())  # a retried job
    assert again.id == first.id and again.existed
    assert crm.find_meeting(contact.id, "bk-1").id == first.id
    assert crm.find_meeting(contact.id, "bk-12") is None  # a whole line, not a prefix
    assert len(stored_meetings(vendor, account, object_type)) == 1
    logged = control.record(vendor, account, first.id)
    moved = draft(start=START + timedelta(days=1), end=START + timedelta(days=1, minutes=45),
                  outcome="no_show")  # fmt: skip
    previous = crm.update_meeting(first.id, moved)
    assert previous.id == first.id and previous.fields
    updated = control.record(vendor, account, first.id)
    crm.delete("meeting", first.id)
    crm.delete("meeting", first.id)  # already gone: fine
    assert stored_meetings(vendor, account, object_type) == []
    return logged["data"], updated["data"]


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
