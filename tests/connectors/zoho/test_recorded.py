"""The Zoho CRM v8 client against recorded Zoho responses, at the HTTP seam."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from connectors.base import ConnectorError, CrmContact
from connectors.zoho.client import build
from tests.connectors.crm_fixtures import replay, sent_json
from tests.connectors.zoho.conftest import record_problem

pytestmark = pytest.mark.django_db
API = "https://www.zohoapis.eu/crm/v8"  # the account's data centre, from api_domain
V = "zoho"


def _query(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


@responses.activate
def test_it_reads_204_as_nothing_found_then_searches_phone(recorded):
    responses.add("GET", f"{API}/Contacts/search", status=204)
    replay(responses, "GET", f"{API}/Contacts/search", V, "search_contacts_200")
    found = build(recorded(V)).find_contact(email="Ada@Example.com", phone="+14155550100")
    assert _query(responses.calls[0])["email"] == ["ada@example.com"]
    assert _query(responses.calls[1])["phone"] == ["+14155550100"]
    assert responses.calls[0].request.headers["Authorization"] == "Zoho-oauthtoken recorded-token"
    assert (found.id, found.fields["Tag"]) == ("554023000000527002", "Hot lead")


@responses.activate
def test_it_creates_with_data_array_and_reads_the_per_record_id(recorded):
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_org")
    replay(responses, "POST", f"{API}/Contacts", V, "create_contact_201")
    created = build(recorded(V)).create_contact(CrmContact(email="ada@example.com"),
                                                source_tag="AI_Chatbot")  # fmt: skip
    body = sent_json(responses.calls[1])
    assert body["data"] == [
        {"Last_Name": "[not provided]", "Email": "ada@example.com", "Lead_Source": "AI_Chatbot"}
    ]
    assert body["trigger"] == ["workflow"]
    assert created.id == "554023000000527002"


@responses.activate
def test_it_raises_the_per_record_error(recorded):
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_deals_200")
    replay(responses, "POST", f"{API}/Deals", V, "create_deal_400_stage")
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).create_deal(contact_id="1", name="x", stage="Nonsense")
    assert (raised.value.code, raised.value.permanent) == ("INVALID_DATA", True)
    assert "Stage" in str(raised.value)


@responses.activate
def test_it_attaches_notes_with_parent_id(recorded):
    replay(responses, "POST", f"{API}/Notes", V, "create_note_201")
    build(recorded(V)).add_note(contact_id="554023000000527002", body="Pricing")
    assert sent_json(responses.calls[0])["data"][0]["Parent_Id"] == {
        "module": {"api_name": "Contacts"}, "id": "554023000000527002",
    }  # fmt: skip


@responses.activate
def test_it_returns_previous_values_on_update(recorded):
    replay(responses, "GET", f"{API}/Contacts/554023000000527002", V, "get_contact_200")
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_plain")
    replay(responses, "PUT", f"{API}/Contacts/554023000000527002", V, "update_contact_200")
    previous = build(recorded(V)).update_contact(
        "554023000000527002", {"First_Name": "Augusta", "Title": "Countess", "AI_Intent": "x"}
    )
    assert previous.fields == {"First_Name": "Ada", "Title": "", "AI_Intent": ""}
    # AI_Intent is not a field of this org: an update leaves it out rather than fail.
    assert sent_json(responses.calls[2])["data"] == [{"First_Name": "Augusta", "Title": "Countess"}]


@responses.activate
def test_it_treats_an_invalid_id_on_delete_as_gone(recorded):
    replay(responses, "DELETE", f"{API}/Contacts/554023000000527002", V,
           "delete_contact_400_gone")  # fmt: skip
    build(recorded(V)).delete("contact", "554023000000527002")


@responses.activate
def test_it_reads_mandatory_and_custom_fields(recorded):
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200")
    fields = {f.name: (f.required, f.custom) for f in build(recorded(V)).field_catalogue()}
    assert fields == {"Last_Name": (True, False), "AI_Lead_Score": (False, True)}
    assert _query(responses.calls[0])["module"] == ["Contacts"]


@responses.activate
def test_it_pages_with_the_page_token(recorded):
    replay(responses, "GET", f"{API}/Contacts", V, "list_contacts_200_page1")
    replay(responses, "GET", f"{API}/Contacts", V, "list_contacts_200_page2")
    names = [r.fields["Last_Name"] for r in build(recorded(V)).iter_contacts(page_size=1)]
    assert names == ["One", "Two"]
    assert _query(responses.calls[1])["page_token"] == ["c8582e7d0ab5a7d0"]
    assert "fields" in _query(responses.calls[0])  # v8 refuses a list without fields


@responses.activate
def test_it_finds_the_deal_by_escaped_criteria_and_the_contact_lookup(recorded):
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_deals_200")
    replay(responses, "GET", f"{API}/Deals/search", V, "search_deals_200")
    found = build(recorded(V)).find_deal(
        contact_id="554023000000527002", name="Mary O'Brien (booking)", source_tag="AI_Chatbot"
    )
    params = parse_qs(urlsplit(responses.calls[1].request.url).query)
    assert params["criteria"] == [
        "((Deal_Name:equals:Mary O'Brien \\(booking\\))and(Lead_Source:equals:AI_Chatbot))"
    ]
    assert found.id == "554023000000981007"


@responses.activate
def test_it_finds_no_deal_when_the_search_is_204(recorded):
    responses.add("GET", f"{API}/Deals/search", status=204, body=b"")
    assert build(recorded(V)).find_deal(contact_id="5540", name="Nobody (booking)") is None


@responses.activate
def test_it_finds_the_note_in_the_contacts_notes(recorded):
    replay(responses, "GET", f"{API}/Contacts/554023000000527002/Notes", V, "related_notes_200")
    body = "Wants a cleaning next week.\n\nSource: AI_Chatbot · acme-bot · sess-1"
    found = build(recorded(V)).find_note(contact_id="554023000000527002", body=body)
    assert found.id == "554023000000990011"
    assert "fields=Note_Title%2CNote_Content" in responses.calls[0].request.url


def _acme() -> CrmContact:
    return CrmContact(email="ada@example.com", last_name="Lovelace", company="Acme")


@responses.activate
def test_it_writes_the_company_to_its_custom_field_when_the_org_has_it(recorded):
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_org")
    replay(responses, "POST", f"{API}/Contacts", V, "create_contact_201")
    build(recorded(V)).create_contact(_acme(), source_tag="AI_Chatbot")
    assert sent_json(responses.calls[1])["data"][0]["AI_Company"] == "Acme"


@responses.activate
def test_without_the_field_or_the_scope_the_company_goes_to_a_standard_field(recorded):
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_plain")
    replay(responses, "POST", f"{API}/Contacts", V, "create_contact_201")
    crm = build(recorded(V))  # the recorded connection was granted no field-create scope
    assert crm.ensure_fields() == [("refused", "Contacts", ["AI_Company"])]
    crm.create_contact(_acme(), source_tag="AI_Chatbot")
    posts = [c for c in responses.calls if c.request.method == "POST"]
    assert [c.request.url for c in posts] == [f"{API}/Contacts"]  # no field create tried
    record = sent_json(posts[0])["data"][0]
    # Neither AI_Company nor the tag (not a Lead Source option here) is written; both are kept.
    assert "AI_Company" not in record and "Lead_Source" not in record
    assert record["Description"] == "AI Company: Acme\nLead Source: AI_Chatbot"
    assert crm.ensure_fields() == []  # the refusal is reported once a day, not every lead


@responses.activate
def test_it_creates_the_company_field_where_the_grant_allows_it(recorded):
    connection = recorded(V)
    connection.scopes = ["ZohoCRM.modules.contacts.ALL", "ZohoCRM.settings.fields.CREATE"]
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_plain")
    replay(responses, "POST", f"{API}/settings/fields", V, "create_field_201")
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_org")
    replay(responses, "POST", f"{API}/Contacts", V, "create_contact_201")
    crm = build(connection)
    assert crm.ensure_fields() == [("created", "Contacts", ["AI_Company"])]
    assert _query(responses.calls[1])["module"] == ["Contacts"]
    assert sent_json(responses.calls[1]) == {
        "fields": [{"field_label": "AI Company", "data_type": "text", "length": 255}]
    }
    crm.create_contact(_acme(), source_tag="AI_Chatbot")
    assert sent_json(responses.calls[3])["data"][0]["AI_Company"] == "Acme"


@responses.activate
def test_a_refused_field_create_falls_back_to_the_standard_field(recorded):
    connection = recorded(V)
    connection.scopes = ["ZohoCRM.settings.fields.ALL"]
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_plain")
    replay(responses, "POST", f"{API}/settings/fields", V, "create_field_403")
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_plain")
    replay(responses, "POST", f"{API}/Contacts", V, "create_contact_201")
    crm = build(connection)
    assert crm.ensure_fields() == [("refused", "Contacts", ["AI_Company"])]
    crm.create_contact(_acme(), source_tag="")
    assert sent_json(responses.calls[-1])["data"][0]["Description"] == "AI Company: Acme"


def test_the_sdk_field_check_refuses_a_field_nobody_confirmed():
    """The check every recorded test runs (``conftest.zoho_bodies_name_known_fields``)."""
    assert record_problem("Contacts", {"Last_Name": "x", "Email": "e"}, set()) is None
    assert "AI_Company" in record_problem("Contacts", {"AI_Company": "Acme"}, set())
    assert record_problem("Contacts", {"AI_Company": "Acme"}, {"AI_Company"}) is None


@responses.activate
def test_a_field_another_worker_just_created_is_used_not_reported_again(recorded):
    connection = recorded(V)
    connection.scopes = ["ZohoCRM.settings.fields.CREATE"]
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_plain")
    replay(responses, "POST", f"{API}/settings/fields", V, "create_field_400_duplicate")
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_org")
    assert build(connection).ensure_fields() == []


@responses.activate
def test_values_too_long_for_their_fields_are_kept_whole_in_the_description(recorded):
    replay(responses, "GET", f"{API}/settings/fields", V, "fields_contacts_200_org")
    replay(responses, "POST", f"{API}/Contacts", V, "create_contact_201")
    first, last = "F" * 41, "L" * 81  # the fields hold 40 and 80 characters here
    build(recorded(V)).create_contact(CrmContact(email="a@example.com", first_name=first,
                                                 last_name=last), source_tag="")  # fmt: skip
    record = sent_json(responses.calls[1])["data"][0]
    assert "First_Name" not in record  # optional: left out rather than refused
    assert record["Last_Name"] == "L" * 80  # mandatory: cut to fit
    assert record["Description"] == f"First Name: {first}\nLast Name: {last}"
