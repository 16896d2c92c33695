"""The HubSpot client against recorded HubSpot responses, at the HTTP seam (``responses``)."""

from __future__ import annotations

import pytest
import responses

from connectors.base import ConnectorError, CrmContact
from connectors.hubspot.client import build
from tests.connectors.crm_fixtures import replay, sent_json

pytestmark = pytest.mark.django_db
API = "https://api.hubapi.com"
SEARCH = f"{API}/crm/v3/objects/contacts/search"
V = "hubspot"


@responses.activate
def test_it_finds_a_contact_by_email_with_an_eq_filter(recorded):
    replay(responses, "POST", SEARCH, V, "search_contacts_200")
    found = build(recorded(V)).find_contact(email=" BH@HubSpot.com ")
    body = sent_json(responses.calls[0])
    assert body["filterGroups"] == [
        {"filters": [{"propertyName": "email", "operator": "EQ", "value": "bh@hubspot.com"}]}
    ]
    assert body["limit"] == 1
    assert responses.calls[0].request.headers["Authorization"] == "Bearer recorded-token"
    assert (found.id, found.contact.first_name, found.contact.phone) == (
        "51", "Brian", "+16175550100",
    )  # fmt: skip


@responses.activate
def test_it_searches_email_or_either_phone_property_in_one_call(recorded):
    replay(responses, "POST", SEARCH, V, "search_contacts_200")
    found = build(recorded(V)).find_contact(email="nobody@example.com", phone="+16175550100")
    assert len(responses.calls) == 1
    groups = sent_json(responses.calls[0])["filterGroups"]
    assert [g["filters"][0]["propertyName"] for g in groups] == ["email", "phone", "mobilephone"]
    assert found.id == "51"


@responses.activate
def test_it_finds_nobody_with_one_empty_combined_search(recorded):
    replay(responses, "POST", SEARCH, V, "search_contacts_200_empty")
    assert build(recorded(V)).find_contact(email="a@example.com", phone="+16175550100") is None
    assert len(responses.calls) == 1


@responses.activate
def test_it_searches_the_email_alone_when_phone_matches_overflow_the_page(recorded):
    page = {"total": 50, "results": [{"id": "7", "properties": {"email": "x@example.com"}}]}
    responses.add(responses.POST, SEARCH, json=page)
    responses.add(
        responses.POST, SEARCH, json={"total": 1, "results": [{"id": "9", "properties": {}}]}
    )
    found = build(recorded(V)).find_contact(email="a@example.com", phone="+16175550100")
    groups = sent_json(responses.calls[1])["filterGroups"]
    assert [g["filters"][0]["propertyName"] for g in groups] == ["email"]
    assert found.id == "9"


@responses.activate
def test_it_creates_with_the_source_tag(recorded):
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts", V, "create_contact_201")
    created = build(recorded(V)).create_contact(
        CrmContact(email="Ada@Example.com", first_name="Ada", last_name="Lovelace"),
        source_tag="AI_Chatbot",
    )
    assert sent_json(responses.calls[0]) == {
        "properties": {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace",
                       "ai_source_tag": "AI_Chatbot"}
    }  # fmt: skip
    assert (created.id, created.existed) == ("151", False)


@responses.activate
def test_it_updates_the_existing_contact_on_409(recorded):
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts", V, "create_contact_409")
    replay(responses, "GET", f"{API}/crm/v3/objects/contacts/51", V, "get_contact_200")
    replay(responses, "PATCH", f"{API}/crm/v3/objects/contacts/51", V, "update_contact_200")
    result = build(recorded(V)).create_contact(
        CrmContact(email="bh@hubspot.com", first_name="Robert"), source_tag="AI_Chatbot"
    )
    assert (result.id, result.existed, result.fields) == ("51", True, {"firstname": "Brian"})
    assert sent_json(responses.calls[2]) == {"properties": {"firstname": "Robert"}}


@responses.activate
def test_it_creates_a_new_contact_with_its_tags_in_the_same_call(recorded):
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts", V, "create_contact_201")
    build(recorded(V)).create_contact(
        CrmContact(email="ada@example.com"), source_tag="AI_Chatbot",
        tags=["AI_Chatbot", "acme-bot", "salesqualifiedlead"],
    )  # fmt: skip
    assert len(responses.calls) == 1
    assert sent_json(responses.calls[0])["properties"] == {
        "email": "ada@example.com", "ai_source_tag": "AI_Chatbot",
        "switchboard_tags": "AI_Chatbot;acme-bot", "lifecyclestage": "salesqualifiedlead",
    }  # fmt: skip


@responses.activate
def test_it_leaves_an_existing_contacts_tags_to_tag_contact_on_409(recorded):
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts", V, "create_contact_409")
    replay(responses, "GET", f"{API}/crm/v3/objects/contacts/51", V, "get_contact_200")
    replay(responses, "PATCH", f"{API}/crm/v3/objects/contacts/51", V, "update_contact_200")
    build(recorded(V)).create_contact(
        CrmContact(email="bh@hubspot.com", first_name="Robert"), source_tag="AI_Chatbot",
        tags=["AI_Chatbot", "lead"],
    )  # fmt: skip
    # Overwriting the tags property would drop the person's other tags: the caller merges them.
    assert sent_json(responses.calls[2]) == {"properties": {"firstname": "Robert"}}


@responses.activate
def test_it_attaches_notes_to_the_contact_with_type_202(recorded):
    replay(responses, "POST", f"{API}/crm/v3/objects/notes", V, "create_note_201")
    note = build(recorded(V)).add_note(contact_id="51", body="Asked about pricing.")
    body = sent_json(responses.calls[0])
    assert body["associations"] == [
        {"to": {"id": "51"},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}
    ]  # fmt: skip
    assert body["properties"]["hs_note_body"] == "Asked about pricing."
    assert body["properties"]["hs_timestamp"].endswith("Z")
    assert note.id == "9001"


@responses.activate
def test_it_reads_the_property_catalogue_with_custom_properties(recorded):
    replay(responses, "GET", f"{API}/crm/v3/properties/contacts", V, "properties_contacts_200")
    fields = {f.name: f.custom for f in build(recorded(V)).field_catalogue("contact")}
    assert fields == {"email": False, "ai_lead_score": True}


@responses.activate
def test_it_pages_contacts_with_the_after_cursor(recorded):
    replay(responses, "GET", f"{API}/crm/v3/objects/contacts", V, "list_contacts_200_page1")
    replay(responses, "GET", f"{API}/crm/v3/objects/contacts", V, "list_contacts_200_page2")
    ids = [r.id for r in build(recorded(V)).iter_contacts(page_size=1)]
    assert ids == ["51", "52"]
    assert "after=52" in responses.calls[1].request.url


@responses.activate
def test_it_treats_a_deleted_contact_as_gone(recorded):
    responses.add("DELETE", f"{API}/crm/v3/objects/contacts/51", status=404,
                  json={"status": "error", "message": "resource not found",
                        "correlationId": "x", "category": "OBJECT_NOT_FOUND"})  # fmt: skip
    build(recorded(V)).delete("contact", "51")
    assert responses.calls[0].request.method == "DELETE"


@responses.activate
def test_it_hands_the_rate_limit_wait_back(recorded):
    replay(responses, "POST", SEARCH, V, "search_contacts_429", **{
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "Retry-After": "7"})  # fmt: skip
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).find_contact(email="a@example.com")
    assert raised.value.retry_after == 10 and not raised.value.permanent


@responses.activate
def test_it_finds_a_deal_through_the_contacts_associations(recorded):
    replay(responses, "GET", f"{API}/crm/v4/objects/contacts/51/associations/deals", V,
           "associations_deals_200")  # fmt: skip
    replay(responses, "POST", f"{API}/crm/v3/objects/deals/batch/read", V, "batch_read_deals_207")
    found = build(recorded(V)).find_deal(
        contact_id="51", name="Mary O'Brien (booking)", source_tag="AI_Chatbot"
    )
    assert sent_json(responses.calls[1])["inputs"] == [{"id": "18431"}, {"id": "18502"}]
    assert "ai_source_tag" in sent_json(responses.calls[1])["properties"]
    assert (found.id, found.fields["dealstage"]) == ("18431", "appointmentscheduled")


@responses.activate
def test_it_reads_no_deals_when_the_contact_has_none(recorded):
    replay(responses, "GET", f"{API}/crm/v4/objects/contacts/51/associations/deals", V,
           "associations_deals_200_empty")  # fmt: skip
    assert build(recorded(V)).find_deal(contact_id="51", name="x (booking)") is None
    assert len(responses.calls) == 1


@responses.activate
def test_it_does_not_take_a_deal_with_another_source_tag(recorded):
    replay(responses, "GET", f"{API}/crm/v4/objects/contacts/51/associations/deals", V,
           "associations_deals_200")  # fmt: skip
    replay(responses, "POST", f"{API}/crm/v3/objects/deals/batch/read", V, "batch_read_deals_207")
    crm = build(recorded(V))
    assert crm.find_deal(contact_id="51", name="Mary O'Brien (booking)", source_tag="x") is None


@responses.activate
def test_it_finds_the_contacts_note_with_the_same_body(recorded):
    for _ in range(2):
        replay(responses, "GET", f"{API}/crm/v4/objects/contacts/51/associations/notes", V,
               "associations_notes_200")  # fmt: skip
        replay(responses, "POST", f"{API}/crm/v3/objects/notes/batch/read", V,
               "batch_read_notes_200")  # fmt: skip
    crm = build(recorded(V))
    assert crm.find_note(contact_id="51", body="Asked about pricing.").id == "9001"
    assert crm.find_note(contact_id="51", body="Asked about something else.") is None
