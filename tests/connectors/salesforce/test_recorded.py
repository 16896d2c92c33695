"""The Salesforce client against recorded Salesforce responses, at the HTTP seam."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from connectors.base import ConnectorError, CrmContact
from connectors.salesforce.client import build, soql_quote
from tests.connectors.crm_fixtures import replay, sent_json

from .request_check import assert_requests_fit, describe, problems

pytestmark = pytest.mark.django_db
API = "https://acme.my.salesforce.com/services/data/v62.0"
V = "salesforce"
C = "003D000000QV9n2IAD"  # a contact id as Salesforce spells them (18 characters)


def _soql(call) -> str:
    return parse_qs(urlsplit(call.request.url).query)["q"][0]


def test_it_escapes_soql_literals():
    assert soql_quote("o'brien\\x") == "'o\\'brien\\\\x'"
    assert soql_quote("a\nb") == "'a\\nb'"


@responses.activate
def test_it_finds_by_email_then_by_either_phone(recorded):
    replay(responses, "GET", f"{API}/query", V, "query_contacts_200_empty")
    replay(responses, "GET", f"{API}/query", V, "query_contacts_200")
    found = build(recorded(V)).find_contact(email="O'Hara@example.com", phone="+14155550100")
    assert _soql(responses.calls[0]).endswith("WHERE Email = 'o\\'hara@example.com' LIMIT 1")
    assert _soql(responses.calls[1]).endswith(
        "WHERE Phone = '+14155550100' OR MobilePhone = '+14155550100' LIMIT 1"
    )
    assert found.id == "003D000000QV9n2IAD" and found.contact.last_name == "Lovelace"


@responses.activate
def test_it_follows_next_records_url(recorded):
    replay(responses, "GET", f"{API}/query", V, "query_contacts_200_page1")
    replay(responses, "GET", f"{API}/query/01gD0000002HU6KIAW-2000", V,
           "query_contacts_200_page2")  # fmt: skip
    names = [r.fields["LastName"] for r in build(recorded(V)).iter_contacts()]
    assert names == ["One", "Two"]
    assert responses.calls[0].request.headers["Sforce-Query-Options"] == "batchSize=2000"


@responses.activate
def test_it_creates_an_opportunity_with_its_contact_role_in_one_composite_call(recorded, client):
    replay(
        responses,
        "GET",
        f"{API}/sobjects/Opportunity/describe",
        V,
        "describe_opportunity_200_standard",
    )
    replay(responses, "POST", f"{API}/composite", V, "composite_200")
    deal = build(recorded(V)).create_deal(contact_id=C, name="Demo", stage="Prospecting",
                                          amount="99.5")  # fmt: skip
    assert (
        deal.id == "006R0000003YpF2IAK" and len(responses.calls) == 2
    )  # describe (cached), composite
    sent = sent_json(responses.calls[1])
    assert sent["allOrNone"] is True
    opportunity, role = sent["compositeRequest"]
    assert (opportunity["method"], opportunity["url"]) == (
        "POST", "/services/data/v62.0/sobjects/Opportunity",
    )  # fmt: skip
    body = opportunity["body"]
    assert (body["Name"], body["StageName"], body["Amount"]) == ("Demo", "Prospecting", 99.5)
    assert body["CloseDate"]  # required by Salesforce
    assert role["url"] == "/services/data/v62.0/sobjects/OpportunityContactRole"
    assert role["body"] == {
        "OpportunityId": f"@{{{opportunity['referenceId']}.id}}", "ContactId": C,
        "IsPrimary": True,
    }  # fmt: skip
    assert assert_requests_fit(client, responses.calls) == 2


@responses.activate
def test_it_creates_a_contact_with_its_tags_line_in_the_same_call(recorded, client):
    replay(responses, "GET", f"{API}/sobjects/Contact/describe", V, "describe_contact_200_standard")
    replay(responses, "POST", f"{API}/sobjects/Contact", V, "create_sobject_201")
    build(recorded(V)).create_contact(
        CrmContact(email="ada@example.com", last_name="Lovelace",
                   extra={"Description": "Met at the fair."}),
        source_tag="AI_Chatbot", tags=["AI_Chatbot", "acme-bot"],
    )  # fmt: skip
    assert len(responses.calls) == 2  # the describe (cached an hour), then the create
    assert sent_json(responses.calls[1])["Description"] == (
        "Met at the fair.\nSwitchboard tags: AI_Chatbot; acme-bot"
    )
    assert assert_requests_fit(client, responses.calls) == 1


@responses.activate
def test_it_refuses_a_record_salesforce_refuses_naming_the_cause_not_the_rollback(recorded, client):
    replay(
        responses,
        "GET",
        f"{API}/sobjects/Opportunity/describe",
        V,
        "describe_opportunity_200_standard",
    )
    replay(responses, "POST", f"{API}/composite", V, "composite_200_rolled_back")
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).create_deal(contact_id=C, name="Demo", stage="Prospecting")
    assert raised.value.permanent and raised.value.status == 400
    assert raised.value.code == "REQUIRED_FIELD_MISSING" and "CloseDate" in str(raised.value)
    assert assert_requests_fit(client, responses.calls) == 2


@responses.activate
def test_it_writes_a_content_note_and_its_link_in_one_composite_call(recorded, client):
    replay(responses, "POST", f"{API}/composite", V, "composite_200")
    note = build(recorded(V)).add_note(contact_id=C, body="Hi <there>\nline two")
    assert note.object_type == "note" and len(responses.calls) == 1
    content, link = sent_json(responses.calls[0])["compositeRequest"]
    assert content["url"].endswith("/sobjects/ContentNote")
    decoded = base64.b64decode(content["body"]["Content"]).decode()
    assert decoded == "<p>Hi &lt;there&gt;<br>line two</p>"
    assert link["url"].endswith("/sobjects/ContentDocumentLink")
    assert link["body"] == {"ContentDocumentId": f"@{{{content['referenceId']}.id}}",
                            "LinkedEntityId": C, "ShareType": "V"}  # fmt: skip
    assert assert_requests_fit(client, responses.calls) == 2


@responses.activate
def test_it_falls_back_to_a_task_without_notes(recorded, client):
    replay(responses, "POST", f"{API}/composite", V, "composite_200_notes_off")
    replay(responses, "POST", f"{API}/sobjects/Task", V, "create_sobject_201")
    note = build(recorded(V)).add_note(contact_id=C, body="Called")
    assert note.object_type == "task" and sent_json(responses.calls[1])["WhoId"] == C
    assert assert_requests_fit(client, responses.calls) == 3


@responses.activate
def test_it_returns_previous_values_and_clears_with_null(recorded, client):
    replay(responses, "GET", f"{API}/sobjects/Contact/describe", V, "describe_contact_200_standard")
    replay(responses, "GET", f"{API}/sobjects/Contact/{C}", V, "get_contact_200")
    responses.add("PATCH", f"{API}/sobjects/Contact/{C}", status=204)
    previous = build(recorded(V)).update_contact(C, {"FirstName": "Augusta", "Title": ""})
    assert previous.fields == {"FirstName": "Ada", "Title": ""}
    assert sent_json(responses.calls[2]) == {"FirstName": "Augusta", "Title": None}
    assert assert_requests_fit(client, responses.calls) == 1


@responses.activate
def test_it_treats_entity_is_deleted_as_gone(recorded):
    replay(responses, "DELETE", f"{API}/sobjects/Contact/{C}", V, "delete_404_deleted")
    build(recorded(V)).delete("contact", C)


@responses.activate
def test_it_calls_request_limit_exceeded_a_rate_limit(recorded):
    replay(responses, "GET", f"{API}/query", V, "query_403_limit")
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).find_contact(email="a@example.com")
    assert raised.value.code == "rate_limited" and not raised.value.permanent


@responses.activate
@pytest.mark.parametrize(
    ("usage", "wait"),
    [("100012/100000", 15 * 60), ("105000/100000", 86_400 * 5001 / 100_000), ("", 15 * 60)],
)
def test_it_waits_as_long_as_the_overdrawn_allowance_takes_to_free(recorded, usage, wait):
    headers = {"Sforce-Limit-Info": f"api-usage={usage}"} if usage else {}
    replay(responses, "GET", f"{API}/query", V, "query_403_limit", **headers)
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).find_contact(email="a@example.com")
    assert raised.value.retry_after == pytest.approx(wait)


@responses.activate
def test_it_reads_required_and_custom_fields_from_describe(recorded):
    replay(responses, "GET", f"{API}/sobjects/Contact/describe", V, "describe_contact_200")
    fields = {f.name: (f.required, f.custom) for f in build(recorded(V)).field_catalogue()}
    assert fields == {
        "Id": (False, False), "LastName": (True, False), "AI_Lead_Score__c": (False, True),
    }  # fmt: skip


@responses.activate
def test_it_finds_the_opportunity_whose_contact_role_names_the_contact(recorded):
    replay(
        responses,
        "GET",
        f"{API}/sobjects/Opportunity/describe",
        V,
        "describe_opportunity_200_standard",
    )
    replay(responses, "GET", f"{API}/query", V, "query_opportunities_200")
    replay(responses, "GET", f"{API}/query", V, "query_contact_roles_200")
    found = build(recorded(V)).find_deal(
        contact_id="003D000000QV9n2IAD", name="Mary O'Brien (booking)", source_tag="AI_Chatbot"
    )
    assert _soql(responses.calls[1]) == (
        "SELECT Id, Name, StageName FROM Opportunity WHERE Name = 'Mary O\\'Brien (booking)' "
        "AND LeadSource = 'AI_Chatbot' ORDER BY CreatedDate"
    )
    assert _soql(responses.calls[2]) == (
        "SELECT OpportunityId FROM OpportunityContactRole WHERE ContactId = '003D000000QV9n2IAD'"
    )
    assert (found.id, found.fields["StageName"]) == ("006D000000CmQ7bIAF", "Needs Analysis")


@responses.activate
def test_it_asks_no_contact_roles_when_no_opportunity_has_the_name(recorded):
    replay(
        responses,
        "GET",
        f"{API}/sobjects/Opportunity/describe",
        V,
        "describe_opportunity_200_standard",
    )
    replay(responses, "GET", f"{API}/query", V, "query_contacts_200_empty")
    assert build(recorded(V)).find_deal(contact_id=C, name="Nobody (booking)") is None
    assert len(responses.calls) == 2  # the describe and one query


@responses.activate
def test_it_finds_the_content_note_linked_to_the_contact_by_title(recorded):
    replay(responses, "GET", f"{API}/query", V, "query_document_links_200")
    replay(responses, "GET", f"{API}/query", V, "query_content_notes_200")
    found = build(recorded(V)).find_note(
        contact_id="003D000000QV9n2IAD", body="Wants a cleaning next week.\n\nSource: x"
    )
    assert _soql(responses.calls[0]).endswith("WHERE LinkedEntityId = '003D000000QV9n2IAD'")
    assert _soql(responses.calls[1]).endswith("WHERE Title = 'Wants a cleaning next week.'")
    assert (found.id, found.object_type) == ("069D00000001LsQIAU", "note")


@responses.activate
def test_it_looks_for_the_task_when_no_note_is_linked(recorded):
    replay(responses, "GET", f"{API}/query", V, "query_contacts_200_empty")
    replay(responses, "GET", f"{API}/query", V, "query_contacts_200_empty")
    assert build(recorded(V)).find_note(contact_id=C, body="Hello") is None
    assert _soql(responses.calls[1]) == (
        f"SELECT Id, Subject, Description FROM Task WHERE WhoId = '{C}' AND Subject = 'Hello'"  # noqa: S608
    )


@responses.activate
def test_a_contact_for_an_org_without_the_custom_fields_fits_its_describe(recorded, client):
    """The company and the mapped AI_*__c values go to Description lines: the body names
    only fields the standard Contact describe lists."""
    replay(responses, "GET", f"{API}/sobjects/Contact/describe", V, "describe_contact_200_standard")
    replay(responses, "POST", f"{API}/sobjects/Contact", V, "create_sobject_201")
    build(recorded(V)).create_contact(
        CrmContact(email="ada@example.com", first_name="Ada", last_name="L" * 90,
                   phone="+14155550100", company="Analytical Engines",
                   extra={"AI_Lead_Score__c": "82", "AI_Summary__c": "Wants a demo."}),
        source_tag="AI_Chatbot", tags=["AI_Chatbot"],
    )  # fmt: skip
    sent = sent_json(responses.calls[1])
    assert sent["LastName"] == "L" * 80  # cut to the field; the whole name on a line
    assert sent["Description"].splitlines() == [
        "Last Name: " + "L" * 90, "Company: Analytical Engines", "AI lead score: 82",
        "AI conversation summary: Wants a demo.", "Switchboard tags: AI_Chatbot",
    ]  # fmt: skip
    assert assert_requests_fit(client, responses.calls) == 1


@responses.activate
def test_moving_restoring_and_tagging_send_updates_that_fit(recorded, client):
    deal = "006D000000CmQ7bIAF"
    responses.add("GET", f"{API}/sobjects/Opportunity/{deal}", json={"StageName": "Prospecting"})
    responses.add("PATCH", f"{API}/sobjects/Opportunity/{deal}", status=204)
    replay(responses, "GET", f"{API}/sobjects/Contact/describe", V, "describe_contact_200_standard")
    responses.add("GET", f"{API}/sobjects/Contact/{C}", json={"Description": "VIP"})
    responses.add("PATCH", f"{API}/sobjects/Contact/{C}", status=204)
    crm = build(recorded(V))
    crm.move_deal(deal, "Needs Analysis")
    crm.restore_fields("deal", deal, {"StageName": "Prospecting"})
    crm.tag_contact(C, ["AI_Chatbot"])
    crm.restore_fields("contact", C, {"Description": "", "AI_Intent__c": ""})
    assert sent_json(responses.calls[-1]) == {"Description": None}  # the absent field left out
    assert assert_requests_fit(client, responses.calls) == 4


def test_the_check_sees_what_salesforce_would_refuse(client):
    """The negative control: each fault the check exists for is found."""
    contact = describe(client, "Contact")
    assert problems({"LastName": "x", "AI_Company__c": "y"}, contact, creating=True) == [
        "AI_Company__c: no such field"
    ]
    assert problems({"FirstName": "x"}, contact, creating=True) == ["LastName: required"]
    assert problems({"LastName": "x" * 81}, contact, creating=False) == [
        "LastName: 81 characters, at most 80"
    ]
    assert problems({"LastName": None}, contact, creating=False) == ["LastName: cannot be null"]
    assert problems({"Id": "003D000000QV9n2IAD"}, contact, creating=False) == ["Id: not updateable"]
    deal = describe(client, "Opportunity")
    bad = {"Name": "D", "StageName": "Nope", "CloseDate": "2027-1-1", "Amount": "9"}
    assert problems(bad, deal, creating=True) == [
        "StageName: 'Nope' is not one of " + str([v["value"] for v in next(
            f for f in deal["fields"] if f["name"] == "StageName")["picklistValues"]]),
        "CloseDate: '2027-1-1' is not a date", "Amount: '9' is not a currency",
    ]  # fmt: skip
    role = describe(client, "OpportunityContactRole")
    assert problems({"OpportunityId": "006D000000CmQ7bIAF"}, role, creating=False) == [
        "OpportunityId: not updateable"
    ]


@responses.activate
def test_a_refused_contact_create_is_permanent_and_names_salesforces_code(recorded):
    replay(responses, "GET", f"{API}/sobjects/Contact/describe", V, "describe_contact_200_standard")
    refusal = [{"message": "Email: invalid email address: ada@",
                "errorCode": "INVALID_EMAIL_ADDRESS", "fields": ["Email"]}]  # fmt: skip
    responses.add("POST", f"{API}/sobjects/Contact", json=refusal, status=400)
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).create_contact(CrmContact(email="ada@", last_name="L"), source_tag="x")
    assert (raised.value.permanent, raised.value.status) == (True, 400)
    assert raised.value.code == "INVALID_EMAIL_ADDRESS" and "invalid email" in str(raised.value)


@responses.activate
def test_a_concurrent_request_limit_with_allowance_left_is_retried_in_seconds(recorded):
    """REQUEST_LIMIT_EXCEEDED also says "too many long-running requests at once"; with the
    daily allowance not spent (Sforce-Limit-Info) that frees in seconds, not a quarter hour."""
    body = [{"message": "ConcurrentPerOrgLongTxn Limit exceeded.",
             "errorCode": "REQUEST_LIMIT_EXCEEDED"}]  # fmt: skip
    responses.add("GET", f"{API}/query", json=body, status=403,
                  headers={"Sforce-Limit-Info": "api-usage=5/100000"})  # fmt: skip
    replay(responses, "GET", f"{API}/query", V, "query_contacts_200_empty")
    assert build(recorded(V)).find_contact(email="a@example.com") is None
    assert len(responses.calls) == 2
