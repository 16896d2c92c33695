"""A booking as a Salesforce Event on the contact, against the Salesforce emulator."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError, CrmContact
from connectors.salesforce.client import build
from emulators.crm import control
from tests.connectors.meeting_checks import draft, run_lifecycle

pytestmark = pytest.mark.django_db(transaction=True)
V = "salesforce"


def test_it_logs_finds_moves_and_deletes_an_event(emulated):
    connection, account = emulated(V)
    logged, updated = run_lifecycle(build(connection), V, account, "Event")
    assert logged["StartDateTime"] == "2027-03-28T08:30:00.000+0000"  # 10:30 in Berlin, CEST
    assert logged["EndDateTime"] == "2027-03-28T09:15:00.000+0000"
    assert logged["Subject"] == "Consultation with Ada"
    assert logged["WhoId"].startswith("003") and logged["ShowAs"] == "Busy"
    assert "Switchboard booking: bk-1" in logged["Description"]
    assert updated["Subject"] == "No-show: Consultation with Ada"
    assert "Outcome: no_show" in updated["Description"]
    assert updated["StartDateTime"] == "2027-03-29T08:30:00.000+0000"


def test_a_cancelled_event_stops_blocking_the_calendar(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="c@example.com", last_name="C"),
                                 source_tag="t")  # fmt: skip
    event = crm.log_meeting(contact.id, draft())
    previous = crm.update_meeting(event.id, draft(outcome="cancelled"))
    assert previous.fields["ShowAs"] == "Busy"
    stored = control.record(V, account, event.id)["data"]
    assert (stored["ShowAs"], stored["Subject"]) == ("Free", "Cancelled: Consultation with Ada")


def test_an_event_on_a_contact_that_is_gone_is_refused_permanently(emulated):
    connection, _ = emulated(V)
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="g@example.com", last_name="G"),
                                 source_tag="t")  # fmt: skip
    crm.delete("contact", contact.id)
    with pytest.raises(ConnectorError) as refused:
        crm.log_meeting(contact.id, draft())
    assert refused.value.permanent and refused.value.code == "INVALID_CROSS_REFERENCE_KEY"
