"""``find_deal`` and ``find_note`` end to end against each CRM emulator: they find what
``create_deal`` and ``add_note`` made for the contact, and nothing made for someone else."""

from __future__ import annotations

import pytest

from connectors.base import CrmContact
from connectors.registry import client_for
from emulators.crm import control
from tests.connectors.crm_fixtures import emulated  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
STAGES = {"hubspot": "appointmentscheduled", "salesforce": "Needs Analysis",
          "zoho": "Needs Analysis", "pipedrive": "Demo Scheduled"}  # fmt: skip
TAG = "AI_Chatbot"
NAME = "Mary O'Brien, DDS (booking)"  # a quote, a comma, parentheses: escaped on the wire
BODY = "Wants a cleaning (Tuesday) & <soon>.\n\nSource: AI_Chatbot · acme-bot · sess-1"


def people(crm):
    mary = crm.create_contact(CrmContact(email="mary@example.com", first_name="Mary",
                                         last_name="O'Brien"), source_tag=TAG)  # fmt: skip
    other = crm.create_contact(CrmContact(email="other@example.com", first_name="Ann",
                                          last_name="Other"), source_tag=TAG)  # fmt: skip
    return mary.id, other.id


@pytest.mark.parametrize("vendor", list(STAGES))
def test_it_finds_the_deal_it_made_for_the_contact_only(emulated, vendor):  # noqa: F811
    connection, _ = emulated(vendor)
    crm = client_for(connection)
    mary, other = people(crm)
    assert crm.find_deal(contact_id=mary, name=NAME, source_tag=TAG) is None
    crm.create_deal(contact_id=other, name=NAME, stage=STAGES[vendor], source_tag=TAG)
    assert crm.find_deal(contact_id=mary, name=NAME, source_tag=TAG) is None
    deal = crm.create_deal(contact_id=mary, name=NAME, stage=STAGES[vendor], source_tag=TAG)
    assert crm.find_deal(contact_id=mary, name=NAME, source_tag=TAG).id == deal.id
    assert crm.find_deal(contact_id=mary, name="Mary O'Brien, DDS (purchase)",
                         source_tag=TAG) is None  # fmt: skip


@pytest.mark.parametrize("vendor", list(STAGES))
def test_it_finds_the_note_it_logged_for_the_contact_only(emulated, vendor):  # noqa: F811
    connection, _ = emulated(vendor)
    crm = client_for(connection)
    mary, other = people(crm)
    assert crm.find_note(contact_id=mary, body=BODY) is None
    crm.add_note(contact_id=other, body=BODY)
    crm.add_note(contact_id=mary, body="Another conversation.")
    assert crm.find_note(contact_id=mary, body=BODY) is None
    note = crm.add_note(contact_id=mary, body=BODY)
    assert crm.find_note(contact_id=mary, body=BODY).id == note.id


def test_salesforce_finds_the_task_logged_when_notes_are_off(emulated):  # noqa: F811
    connection, account = emulated("salesforce")
    control.configure("salesforce", account, content_notes=False)
    crm = client_for(connection)
    mary, _ = people(crm)
    assert crm.find_note(contact_id=mary, body=BODY) is None
    task = crm.add_note(contact_id=mary, body=BODY)
    assert task.object_type == "task"
    found = crm.find_note(contact_id=mary, body=BODY)
    assert (found.id, found.object_type) == (task.id, "task")
