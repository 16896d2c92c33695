"""The Salesforce client end to end against the Salesforce emulator (live server)."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError, CrmContact
from connectors.salesforce.client import build
from emulators.crm import control
from emulators.crm.models import EmuAccount
from tests.connectors.crm_fixtures import add_refresh_token

pytestmark = pytest.mark.django_db(transaction=True)
V = "salesforce"


def test_it_runs_the_whole_lead_lifecycle(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    assert crm.find_contact(email="ada@example.com") is None
    created = crm.create_contact(
        CrmContact(email="ada@example.com", first_name="Ada", last_name="Lovelace",
                   phone="+14155550100", company="Analytical Engines"),
        source_tag="AI_Chatbot",
    )  # fmt: skip
    assert created.id.startswith("003") and len(created.id) == 18
    assert crm.find_contact(email="ADA@example.com").id == created.id
    assert crm.find_contact(phone="+14155550100").id == created.id
    previous = crm.update_contact(created.id, {"FirstName": "Augusta", "Title": "Countess"})
    assert previous.fields == {"FirstName": "Ada", "Title": ""}
    deal = crm.create_deal(contact_id=created.id, name="Ada: demo", stage="Prospecting",
                           amount="1200", source_tag="AI_Chatbot")  # fmt: skip
    roles = control.records(V, account, "OpportunityContactRole")
    assert [r["data"]["ContactId"] for r in roles] == [created.id]
    assert crm.move_deal(deal.id, "Qualification").fields == {"StageName": "Prospecting"}
    note = crm.add_note(contact_id=created.id, body="Asked about pricing.\nWants a demo.")
    assert note.object_type == "note"
    links = control.records(V, account, "ContentDocumentLink")
    assert [(r["data"]["ContentDocumentId"], r["data"]["LinkedEntityId"]) for r in links] == [
        (note.id, created.id)
    ]
    for kind, record_id in (("note", note.id), ("deal", deal.id), ("contact", created.id)):
        crm.delete(kind, record_id)
        crm.delete(kind, record_id)  # ENTITY_IS_DELETED: fine
    assert control.counts(V, account)["objects"] == {}


def test_it_logs_a_task_when_the_org_has_no_notes(emulated):
    connection, account = emulated(V)
    control.configure(V, account, content_notes=False)
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="t@example.com", last_name="T"), source_tag="x")
    note = crm.add_note(contact_id=contact.id, body="Called back")
    assert note.object_type == "task"
    assert control.record(V, account, note.id)["data"]["WhoId"] == contact.id


def test_a_deal_whose_contact_role_fails_leaves_no_opportunity_behind(emulated):
    """Created apart, an opportunity whose role failed stayed, unlinked: a re-run's
    ``find_deal`` could not see it and made a second one. Together, neither stays."""
    connection, account = emulated(V)
    crm = build(connection)
    with pytest.raises(ConnectorError) as raised:
        crm.create_deal(contact_id="003000000000000AAA", name="Ghost", stage="Prospecting")
    assert raised.value.permanent and raised.value.code == "INVALID_CROSS_REFERENCE_KEY"
    assert control.records(V, account, "Opportunity") == []
    assert control.write_calls(V, account) == 1


def test_it_escapes_quotes_and_backslashes_in_searches(emulated):
    connection, _account = emulated(V)
    crm = build(connection)
    tricky = "o'brien\\x@example.com"
    created = crm.create_contact(CrmContact(email=tricky, last_name="O'Brien"), source_tag="x")
    crm.create_contact(CrmContact(email="other@example.com", last_name="Other"), source_tag="x")
    assert crm.find_contact(email=tricky).id == created.id
    assert crm.find_contact(email="x' OR Email != 'nobody") is None


def test_it_pages_through_next_records_url(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    rows = [{"LastName": f"P{i}", "Email": f"p{i}@example.com"} for i in range(205)]
    control.seed(V, account, "Contact", rows)
    seen = [r.fields["LastName"] for r in crm.iter_contacts(page_size=200)]
    assert len(seen) == 205 and len(set(seen)) == 205


def test_it_treats_an_exhausted_allowance_as_a_rate_limit(emulated):
    connection, account = emulated(V)
    control.configure(V, account, daily_limit=1)
    crm = build(connection)
    assert crm.find_contact(email="a@example.com") is None  # uses the one allowed call
    with pytest.raises(ConnectorError) as raised:
        crm.find_contact(email="a@example.com")
    assert raised.value.code == "rate_limited" and not raised.value.permanent


def test_it_waits_for_the_daily_allowance_not_seconds(emulated):
    """Sforce-Limit-Info says the rolling 24 h allowance is spent: the job is handed back to
    wait at least 15 minutes (it used to retry within seconds), and the connection's other
    calls wait too instead of spending more refusals."""
    connection, account = emulated(V)
    control.configure(V, account, daily_limit=100_000)
    EmuAccount.objects.filter(vendor=V, account_id=account).update(api_calls=100_000)
    crm = build(connection)
    with pytest.raises(ConnectorError) as raised:
        crm.find_contact(email="a@example.com")
    assert raised.value.code == "rate_limited" and raised.value.retry_after == 15 * 60
    with pytest.raises(ConnectorError) as held:
        build(connection).find_contact(email="a@example.com")
    assert held.value.retry_after > 14 * 60
    assert control.counts(V, account)["api_calls"] == 100_000  # the second never reached it


def test_it_refreshes_the_session_on_invalid_session_id(emulated):
    connection, account = emulated(V)
    connection.refresh_token = add_refresh_token(V, connection.access_token)
    connection.save()
    old_token = connection.access_token
    control.inject_fault(V, account, "unauthorized", count=1)
    assert build(connection).find_contact(email="a@example.com") is None
    connection.refresh_from_db()
    assert connection.access_token != old_token


def test_it_keeps_tags_on_a_description_line_and_restores_it(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="d@example.com", last_name="D"), source_tag="x")
    crm.update_contact(contact.id, {"Description": "VIP customer"})
    crm.tag_contact(contact.id, ["hot"])
    previous = crm.tag_contact(contact.id, ["Hot", "callback"])
    description = control.record(V, account, contact.id)["data"]["Description"]
    assert description == "VIP customer\nSwitchboard tags: hot; callback"
    crm.restore_fields("contact", contact.id, {"Description": "VIP customer"})
    assert control.record(V, account, contact.id)["data"]["Description"] == "VIP customer"
    assert previous.fields["Description"] == "VIP customer\nSwitchboard tags: hot"


def test_it_keeps_values_for_fields_the_org_lacks_on_description_lines(emulated):
    """A new org has only Salesforce's standard fields: writing AI_Company__c there was a 400
    INVALID_FIELD for the whole contact. What the org lacks goes to labelled Description lines."""
    connection, account = emulated(V)
    crm = build(connection)
    created = crm.create_contact(
        CrmContact(email="ada@example.com", last_name="Lovelace", company="Analytical Engines",
                   extra={"AI_Lead_Score__c": "80"}),
        source_tag="AI_Chatbot", tags=["hot"],
    )  # fmt: skip
    data = control.record(V, account, created.id)["data"]
    assert not [name for name in data if name.endswith("__c")]
    assert data["Description"] == (
        "Company: Analytical Engines\nAI lead score: 80\nSwitchboard tags: hot"
    )
    previous = crm.update_contact(created.id, {"AI_Intent__c": "booking", "Title": "Countess"})
    data = control.record(V, account, created.id)["data"]
    assert data["Title"] == "Countess" and data["Description"].endswith("\nAI intent: booking")
    assert previous.fields == {
        "Title": "", "Description": "Company: Analytical Engines\nAI lead score: 80\n"
        "Switchboard tags: hot",
    }  # fmt: skip


def test_it_writes_a_custom_field_the_org_has(emulated):
    connection, account = emulated(V)
    control.add_custom_field(V, account, "Contact", "AI_Company__c", "Company")
    created = build(connection).create_contact(
        CrmContact(email="b@example.com", last_name="B", company="Acme"), source_tag="x"
    )
    data = control.record(V, account, created.id)["data"]
    assert data["AI_Company__c"] == "Acme" and "Description" not in data


def test_it_adds_the_custom_fields_on_connect_where_the_org_lets_it(emulated):
    connection, account = emulated(V)
    control.configure(V, account, customize_application=True, grant_new_fields=True)
    crm = build(connection)
    wanted = ["FirstName", "AI_Company__c", "AI_Lead_Score__c", "Someone_Elses__c"]
    assert crm.ensure_fields("contact", wanted) == [
        ("created", "contact-fields", ["AI_Company__c", "AI_Lead_Score__c"])
    ]
    assert crm.ensure_fields("contact", wanted) == []  # asked once per connect
    created = crm.create_contact(
        CrmContact(email="c@example.com", last_name="C", company="Acme",
                   extra={"AI_Lead_Score__c": "80"}),
        source_tag="x",
    )  # fmt: skip
    data = control.record(V, account, created.id)["data"]
    assert (data["AI_Company__c"], data["AI_Lead_Score__c"]) == ("Acme", 80)


def test_a_field_created_without_field_access_is_not_written(emulated):
    """Salesforce gives a field made through the API no field-level security: the describe
    does not list it, so the value stays on a Description line."""
    connection, account = emulated(V)
    control.configure(V, account, customize_application=True)
    crm = build(connection)
    changes = crm.ensure_fields("contact", ["AI_Company__c"])
    assert changes == [
        ("created", "contact-fields", ["AI_Company__c"]),
        ("hidden", "contact-fields", ["AI_Company__c"]),
    ]
    created = crm.create_contact(
        CrmContact(email="d@example.com", last_name="D", company="Acme"), source_tag="x"
    )
    assert control.record(V, account, created.id)["data"]["Description"] == "Company: Acme"


def _with_removed_field(emulated):
    """A contact written while the org had AI_Company__c; the admin then deletes the field,
    which the cached describe (an hour) still lists."""
    connection, account = emulated(V)
    control.add_custom_field(V, account, "Contact", "AI_Company__c", "Company")
    crm = build(connection)
    first = crm.create_contact(
        CrmContact(email="e@example.com", last_name="E", company="Acme"), source_tag="x"
    )
    assert control.record(V, account, first.id)["data"]["AI_Company__c"] == "Acme"
    control.configure(V, account, custom_fields={})
    return crm, account, first.id


def test_a_field_removed_since_the_describe_was_read_costs_one_create_retry(emulated):
    """The org answers 400 INVALID_FIELD: the describe is read afresh and the contact sent
    once more, the value then on a Description line, instead of an hour of refused leads."""
    crm, account, _ = _with_removed_field(emulated)
    created = crm.create_contact(
        CrmContact(email="f@example.com", last_name="F", company="Initech"), source_tag="x"
    )
    data = control.record(V, account, created.id)["data"]
    assert ("AI_Company__c" not in data, data["Description"]) == (True, "Company: Initech")


def test_a_field_removed_since_the_describe_was_read_costs_one_update_retry(emulated):
    crm, account, first_id = _with_removed_field(emulated)
    previous = crm.update_contact(first_id, {"AI_Company__c": "Globex", "Title": "CTO"})
    data = control.record(V, account, first_id)["data"]
    assert (data["Title"], data["Description"]) == ("CTO", "Company: Globex")
    assert previous.fields == {"Title": "", "Description": ""}


def test_an_org_that_refuses_new_fields_is_asked_once(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    changes = crm.ensure_fields("contact", ["AI_Company__c", "AI_Intent__c"])
    assert changes == [("refused", "contact-fields", ["AI_Company__c", "AI_Intent__c"])]
    assert control.write_calls(V, account) == 1


def test_a_duplicate_rule_match_updates_the_existing_contact(emulated):
    """An org whose duplicate rule blocks answers 400 DUPLICATES_DETECTED naming the match
    (here a contact our search did not ask for): the person is updated, not lost, and what
    the update replaced comes back for the rollback."""
    connection, account = emulated(V)
    control.configure(V, account, duplicate_rule="block")
    [existing] = control.seed(V, account, "Contact", [
        {"LastName": "Lovelace", "Email": "ada@example.com", "Description": "VIP"},
    ])  # fmt: skip
    crm = build(connection)
    record = crm.create_contact(
        CrmContact(email="ADA@example.com", first_name="Ada", company="Engines"),
        source_tag="AI_Chatbot", tags=["hot"],
    )  # fmt: skip
    assert (record.id, record.existed) == (existing, True)
    assert control.counts(V, account)["objects"] == {"Contact": 1}
    data = control.record(V, account, existing)["data"]
    assert (data["FirstName"], data["LastName"]) == ("Ada", "Lovelace")  # no placeholder
    assert data["Description"] == "VIP\nCompany: Engines\nSwitchboard tags: hot"
    assert record.fields["Description"] == "VIP" and record.fields["FirstName"] == ""


def test_a_deal_leaves_out_a_field_hidden_from_the_user_and_is_found_again(emulated):
    """An org whose field-level security hides Opportunity.LeadSource refused the whole deal
    (INVALID_FIELD); a name longer than Opportunity.Name's 120 characters was refused too."""
    connection, account = emulated(V)
    control.configure(V, account, hidden_fields={"Opportunity": ["LeadSource"]})
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="e@example.com", last_name="E"), source_tag="x")
    name = "Ada " + "L" * 130 + " (booking)"
    deal = crm.create_deal(contact_id=contact.id, name=name, stage="Needs Analysis",
                           amount="10", source_tag="AI_Chatbot")  # fmt: skip
    data = control.record(V, account, deal.id)["data"]
    assert "LeadSource" not in data and data["Amount"] == 10 and len(data["Name"]) == 120
    found = crm.find_deal(contact_id=contact.id, name=name, source_tag="AI_Chatbot")
    assert found is not None and found.id == deal.id
