"""The Zoho CRM client end to end against the Zoho emulator (live server)."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError, CrmContact
from connectors.zoho.client import build
from emulators.crm import control
from tests.connectors.crm_fixtures import find_or_create

pytestmark = pytest.mark.django_db(transaction=True)
V = "zoho"


def test_it_runs_the_whole_lead_lifecycle(emulated):
    connection, account = emulated(V)
    control.configure(V, account, lead_sources=["AI_Chatbot"])  # as the org's admin added it
    crm = build(connection)
    assert crm.find_contact(email="ada@example.com", phone="+14155550100") is None  # two 204s
    created = crm.create_contact(
        CrmContact(email="ada@example.com", first_name="Ada", last_name="Lovelace",
                   phone="+14155550100"),
        source_tag="AI_Chatbot",
    )  # fmt: skip
    assert control.record(V, account, created.id)["data"]["Lead_Source"] == "AI_Chatbot"
    assert crm.find_contact(email="ADA@example.com").id == created.id
    assert crm.find_contact(phone="+14155550100").id == created.id
    previous = crm.update_contact(created.id, {"First_Name": "Augusta", "Title": "Countess"})
    assert previous.fields == {"First_Name": "Ada", "Title": ""}
    deal = crm.create_deal(contact_id=created.id, name="Ada: demo", stage="Qualification")
    assert crm.move_deal(deal.id, "Needs Analysis").fields == {"Stage": "Qualification"}
    note = crm.add_note(contact_id=created.id, body="Asked about pricing.")
    parent = control.record(V, account, note.id)["data"]["Parent_Id"]
    assert parent == {"module": {"api_name": "Contacts"}, "id": created.id}
    for kind, record_id in (("note", note.id), ("deal", deal.id), ("contact", created.id)):
        crm.delete(kind, record_id)
        crm.delete(kind, record_id)  # INVALID_DATA for a gone id: fine
    assert control.counts(V, account)["objects"] == {}


def test_it_searches_before_creating_so_a_retry_never_duplicates(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    lead = CrmContact(email="bob@example.com", last_name="Smith", phone="+442079460000")
    first = find_or_create(crm, lead)
    again = find_or_create(crm, CrmContact(email="", phone="+442079460000"))
    assert again.id == first.id
    assert control.counts(V, account)["objects"] == {"Contacts": 1}
    assert control.write_calls(V, account) == 1


def test_it_raises_the_per_record_error_zoho_returns(emulated):
    connection, _ = emulated(V)
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="c@example.com"), source_tag="x")
    with pytest.raises(ConnectorError) as raised:
        crm.create_deal(contact_id=contact.id, name="Bad", stage="Nonsense")
    assert raised.value.permanent and raised.value.code == "INVALID_DATA"


def test_it_tags_and_restores_tags(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="t@example.com"), source_tag="x")
    crm.tag_contact(contact.id, ["Existing"])
    previous = crm.tag_contact(contact.id, ["Hot lead", "existing"])
    assert previous.fields == {"Tag": "Existing"}
    names = [t["name"] for t in control.record(V, account, contact.id)["links"]["tags"]]
    assert names == ["Existing", "Hot lead"]
    crm.restore_fields("contact", contact.id, previous.fields)
    names = [t["name"] for t in control.record(V, account, contact.id)["links"]["tags"]]
    assert names == ["Existing"]


def test_it_pages_through_contacts(emulated):
    connection, account = emulated(V)
    control.seed(V, account, "Contacts", [{"Last_Name": f"P{i}"} for i in range(7)])
    seen = [r.fields["Last_Name"] for r in build(connection).iter_contacts(page_size=3)]
    assert seen == [f"P{i}" for i in range(7)]


def test_it_retries_after_the_vendors_short_wait(emulated):
    connection, account = emulated(V)
    control.inject_fault(V, account, "rate_limit", count=1, retry_after=1)
    assert build(connection).find_contact(email="a@example.com") is None
    assert control.counts(V, account)["api_calls"] == 1  # the refused call is not served


FIELD_SCOPES = ["ZohoCRM.modules.contacts.ALL", "ZohoCRM.settings.fields.CREATE"]


def test_it_adds_the_company_field_once_and_writes_the_company_there(emulated):
    connection, account = emulated(V)
    connection.scopes = FIELD_SCOPES
    crm = build(connection)
    assert crm.ensure_fields() == [("created", "Contacts", ["AI_Company"])]
    created = crm.create_contact(CrmContact(email="a@example.com", company="Acme"), source_tag="")
    assert control.record(V, account, created.id)["data"]["AI_Company"] == "Acme"
    assert build(connection).ensure_fields() == []  # there now: nothing to add or audit


def test_an_org_that_refuses_the_field_gets_the_company_in_a_standard_field(emulated):
    connection, account = emulated(V)
    connection.scopes = FIELD_SCOPES
    control.configure(V, account, fields_admin=False)  # the user may not customise the org
    crm = build(connection)
    created = crm.create_contact(CrmContact(email="b@example.com", company="Acme"),
                                 source_tag="AI_Chatbot")  # fmt: skip
    data = control.record(V, account, created.id)["data"]
    assert "AI_Company" not in data and "Lead_Source" not in data
    assert data["Description"] == "AI Company: Acme\nLead Source: AI_Chatbot"


def test_a_duplicate_the_org_refuses_updates_the_contact_that_holds_the_email(emulated):
    connection, account = emulated(V)
    control.configure(V, account, unique_fields={"Contacts": ["Email"]})
    crm = build(connection)
    first = crm.create_contact(CrmContact(email="d@example.com", last_name="Old"), source_tag="")
    again = crm.create_contact(CrmContact(email="D@example.com", first_name="New"),
                               source_tag="")  # fmt: skip
    assert (again.id, again.existed) == (first.id, True)
    assert again.fields == {"First_Name": "", "Email": "d@example.com"}
    data = control.record(V, account, first.id)["data"]
    assert (data["First_Name"], data["Last_Name"]) == ("New", "Old")  # no placeholder written
    assert control.counts(V, account)["objects"] == {"Contacts": 1}


def test_a_value_longer_than_its_field_lands_in_the_description(emulated):
    connection, account = emulated(V)
    long_title = "T" * 300  # Title holds 255 characters in the emulated org
    created = build(connection).create_contact(
        CrmContact(email="long@example.com", last_name="Long", extra={"Title": long_title}),
        source_tag="",
    )
    data = control.record(V, account, created.id)["data"]
    assert "Title" not in data and data["Description"] == f"Title: {long_title}"


def test_it_reads_the_fields_metadata_once_for_many_leads(emulated):
    """A client is built per job: the org's fields are read once an hour, not on every lead
    (each read costs the org's API credits)."""
    from connectors.models import ApiCall

    connection, _ = emulated(V)
    for n in range(3):
        build(connection).create_contact(
            CrmContact(email=f"p{n}@example.com", last_name="P", company="Acme"), source_tag=""
        )
    reads = ApiCall.objects.filter(connection=connection, path__endswith="/settings/fields")
    assert reads.filter(method="GET").count() == 1
