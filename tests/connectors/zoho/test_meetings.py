"""A booking as a Zoho CRM Event related to the contact, against the Zoho emulator."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError, CrmContact
from connectors.zoho.client import build
from tests.connectors.meeting_checks import draft, run_lifecycle

pytestmark = pytest.mark.django_db(transaction=True)
V = "zoho"


def test_it_logs_finds_moves_and_deletes_an_event(emulated):
    connection, account = emulated(V)
    logged, updated = run_lifecycle(build(connection), V, account, "Events")
    # Written in the booking's own zone, with its offset (CEST after the spring change).
    assert logged["Start_DateTime"] == "2027-03-28T10:30:00+02:00"
    assert logged["End_DateTime"] == "2027-03-28T11:15:00+02:00"
    assert logged["Participants"] == [{"type": "contact", "participant": logged["Who_Id"]["id"]}]
    assert logged["Venue"] == "Main street 1"
    assert "Switchboard booking: bk-1" in logged["Description"]
    assert updated["Event_Title"] == "No-show: Consultation with Ada"
    assert updated["Start_DateTime"] == "2027-03-29T10:30:00+02:00"


def test_an_event_for_a_contact_that_is_not_there_is_refused(emulated):
    connection, _ = emulated(V)
    crm = build(connection)
    with pytest.raises(ConnectorError) as refused:
        crm.log_meeting("4150868000000009999", draft())
    assert refused.value.permanent and "INVALID_DATA" in str(refused.value.code)


def test_the_same_booking_on_two_contacts_is_two_events(emulated):
    connection, _ = emulated(V)
    crm = build(connection)
    one = crm.create_contact(CrmContact(email="1@example.com", last_name="One"), source_tag="t")
    two = crm.create_contact(CrmContact(email="2@example.com", last_name="Two"), source_tag="t")
    assert crm.log_meeting(one.id, draft()).id != crm.log_meeting(two.id, draft()).id
