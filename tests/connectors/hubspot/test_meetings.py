"""A booking as a HubSpot meeting on the contact, against the HubSpot emulator; every body
the client sends is checked against HubSpot's SDK models (``conftest``)."""

from __future__ import annotations

import pytest

from connectors.base import CrmContact
from connectors.hubspot.client import build
from emulators.crm import control
from tests.connectors.meeting_checks import draft, run_lifecycle

pytestmark = pytest.mark.django_db(transaction=True)
V = "hubspot"


def test_it_logs_finds_moves_and_deletes_a_meeting(emulated):
    connection, account = emulated(V)
    logged, updated = run_lifecycle(build(connection), V, account, "meetings")
    assert logged["hs_meeting_start_time"] == "2027-03-28T08:30:00.000Z"  # 10:30 CEST
    assert logged["hs_meeting_end_time"] == "2027-03-28T09:15:00.000Z"
    assert logged["hs_timestamp"] == logged["hs_meeting_start_time"]
    assert logged["hs_meeting_outcome"] == "SCHEDULED"
    assert logged["hs_meeting_location"] == "Main street 1"
    assert "Switchboard booking: bk-1" in logged["hs_meeting_body"]
    assert "Source tag: AI_Chatbot" in logged["hs_meeting_body"]
    assert updated["hs_meeting_outcome"] == "NO_SHOW"
    assert updated["hs_meeting_start_time"] == "2027-03-29T08:30:00.000Z"


def test_the_meeting_is_associated_with_the_contact_as_type_200(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="b@example.com"), source_tag="t")
    meeting = crm.log_meeting(contact.id, draft())
    stored = control.record(V, account, meeting.id)
    assert stored["links"]["associations"] == [{"toObjectId": contact.id, "typeId": 200}]


def test_each_outcome_is_one_of_hubspots_options(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="c@example.com"), source_tag="t")
    meeting = crm.log_meeting(contact.id, draft())
    for ours, theirs in (("completed", "COMPLETED"), ("cancelled", "CANCELED"),
                         ("rescheduled", "RESCHEDULED")):  # fmt: skip
        crm.update_meeting(meeting.id, draft(outcome=ours))
        assert control.record(V, account, meeting.id)["data"]["hs_meeting_outcome"] == theirs
