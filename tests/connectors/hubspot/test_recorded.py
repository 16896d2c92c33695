"""The HubSpot client against recorded HubSpot responses, at the HTTP seam (``responses``)."""

from __future__ import annotations

import re

import pytest
import responses

from connectors.base import ConnectorError, CrmContact
from connectors.hubspot.client import build
from tests.connectors.crm_fixtures import replay, sent_json

pytestmark = pytest.mark.django_db
API = "https://api.hubapi.com"
SEARCH = f"{API}/crm/v3/objects/contacts/search"
V = "hubspot"
CATALOGUE = re.compile(r"/crm/v3/properties/(contacts|deals)(\?|$)")


def portal(contacts: str = "properties_contacts_200_switchboard",
           deals: str = "properties_deals_200_switchboard") -> None:  # fmt: skip
    """The portal's property catalogues (read once a day per connection before a write names
    a property): here, a portal that already has Switchboard's properties."""
    replay(responses, "GET", f"{API}/crm/v3/properties/contacts", V, contacts)
    replay(responses, "GET", f"{API}/crm/v3/properties/deals", V, deals)


def vendor_calls() -> list:
    """The calls a test is about: the catalogue reads ``portal`` answers are left out."""
    return [
        c for c in responses.calls
        if not (c.request.method == "GET" and CATALOGUE.search(c.request.url))
    ]  # fmt: skip


@responses.activate
def test_it_finds_a_contact_by_email_with_an_eq_filter(recorded):
    replay(responses, "POST", SEARCH, V, "search_contacts_200")
    found = build(recorded(V)).find_contact(email=" BH@HubSpot.com ")
    body = sent_json(vendor_calls()[0])
    assert body["filterGroups"] == [
        {"filters": [{"propertyName": "email", "operator": "EQ", "value": "bh@hubspot.com"}]}
    ]
    assert body["limit"] == 1
    assert vendor_calls()[0].request.headers["Authorization"] == "Bearer recorded-token"
    assert (found.id, found.contact.first_name, found.contact.phone) == (
        "51", "Brian", "+16175550100",
    )  # fmt: skip


@responses.activate
def test_it_searches_email_or_either_phone_property_in_one_call(recorded):
    replay(responses, "POST", SEARCH, V, "search_contacts_200")
    found = build(recorded(V)).find_contact(email="nobody@example.com", phone="+16175550100")
    assert len(vendor_calls()) == 1
    groups = sent_json(vendor_calls()[0])["filterGroups"]
    assert [g["filters"][0]["propertyName"] for g in groups] == ["email", "phone", "mobilephone"]
    assert found.id == "51"


@responses.activate
def test_it_finds_nobody_with_one_empty_combined_search(recorded):
    replay(responses, "POST", SEARCH, V, "search_contacts_200_empty")
    assert build(recorded(V)).find_contact(email="a@example.com", phone="+16175550100") is None
    assert len(vendor_calls()) == 1


@responses.activate
def test_it_searches_the_email_alone_when_phone_matches_overflow_the_page(recorded):
    page = {"total": 50, "results": [{"id": "7", "properties": {"email": "x@example.com"}}]}
    responses.add(responses.POST, SEARCH, json=page)
    responses.add(
        responses.POST, SEARCH, json={"total": 1, "results": [{"id": "9", "properties": {}}]}
    )
    found = build(recorded(V)).find_contact(email="a@example.com", phone="+16175550100")
    groups = sent_json(vendor_calls()[1])["filterGroups"]
    assert [g["filters"][0]["propertyName"] for g in groups] == ["email"]
    assert found.id == "9"


@responses.activate
def test_it_creates_with_the_source_tag(recorded):
    portal()
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts", V, "create_contact_201")
    created = build(recorded(V)).create_contact(
        CrmContact(email="Ada@Example.com", first_name="Ada", last_name="Lovelace"),
        source_tag="AI_Chatbot",
    )
    assert sent_json(vendor_calls()[0]) == {
        "properties": {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace",
                       "ai_source_tag": "AI_Chatbot"}
    }  # fmt: skip
    assert (created.id, created.existed) == ("151", False)


@responses.activate
def test_it_updates_the_existing_contact_on_409(recorded):
    portal()
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts", V, "create_contact_409")
    replay(responses, "GET", f"{API}/crm/v3/objects/contacts/51", V, "get_contact_200")
    replay(responses, "PATCH", f"{API}/crm/v3/objects/contacts/51", V, "update_contact_200")
    result = build(recorded(V)).create_contact(
        CrmContact(email="bh@hubspot.com", first_name="Robert"), source_tag="AI_Chatbot"
    )
    assert (result.id, result.existed, result.fields) == ("51", True, {"firstname": "Brian"})
    assert sent_json(vendor_calls()[2]) == {"properties": {"firstname": "Robert"}}


@responses.activate
def test_it_creates_a_new_contact_with_its_tags_in_the_same_call(recorded):
    portal()
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts", V, "create_contact_201")
    build(recorded(V)).create_contact(
        CrmContact(email="ada@example.com"), source_tag="AI_Chatbot",
        tags=["AI_Chatbot", "acme-bot", "salesqualifiedlead"],
    )  # fmt: skip
    assert len(vendor_calls()) == 1
    assert sent_json(vendor_calls()[0])["properties"] == {
        "email": "ada@example.com", "ai_source_tag": "AI_Chatbot",
        "switchboard_tags": "AI_Chatbot;acme-bot", "lifecyclestage": "salesqualifiedlead",
    }  # fmt: skip


@responses.activate
def test_it_leaves_an_existing_contacts_tags_to_tag_contact_on_409(recorded):
    portal()
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts", V, "create_contact_409")
    replay(responses, "GET", f"{API}/crm/v3/objects/contacts/51", V, "get_contact_200")
    replay(responses, "PATCH", f"{API}/crm/v3/objects/contacts/51", V, "update_contact_200")
    build(recorded(V)).create_contact(
        CrmContact(email="bh@hubspot.com", first_name="Robert"), source_tag="AI_Chatbot",
        tags=["AI_Chatbot", "lead"],
    )  # fmt: skip
    # Overwriting the tags property would drop the person's other tags: the caller merges them.
    assert sent_json(vendor_calls()[2]) == {"properties": {"firstname": "Robert"}}


@responses.activate
def test_it_attaches_notes_to_the_contact_with_type_202(recorded):
    replay(responses, "POST", f"{API}/crm/v3/objects/notes", V, "create_note_201")
    note = build(recorded(V)).add_note(contact_id="51", body="Asked about pricing.")
    body = sent_json(vendor_calls()[0])
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
    assert "after=52" in vendor_calls()[1].request.url


@responses.activate
def test_it_treats_a_deleted_contact_as_gone(recorded):
    responses.add("DELETE", f"{API}/crm/v3/objects/contacts/51", status=404,
                  json={"status": "error", "message": "resource not found",
                        "correlationId": "x", "category": "OBJECT_NOT_FOUND"})  # fmt: skip
    build(recorded(V)).delete("contact", "51")
    assert vendor_calls()[0].request.method == "DELETE"


@responses.activate
def test_it_hands_the_rate_limit_wait_back(recorded):
    replay(responses, "POST", SEARCH, V, "search_contacts_429", **{
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "Retry-After": "7"})  # fmt: skip
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).find_contact(email="a@example.com")
    assert raised.value.retry_after == 10 and not raised.value.permanent


@responses.activate
def test_it_finds_a_deal_through_the_contacts_associations(recorded):
    portal()
    replay(responses, "GET", f"{API}/crm/objects/2026-03/contacts/51/associations/deals", V,
           "associations_deals_200")  # fmt: skip
    replay(responses, "POST", f"{API}/crm/v3/objects/deals/batch/read", V, "batch_read_deals_207")
    found = build(recorded(V)).find_deal(
        contact_id="51", name="Mary O'Brien (booking)", source_tag="AI_Chatbot"
    )
    assert sent_json(vendor_calls()[1])["inputs"] == [{"id": "18431"}, {"id": "18502"}]
    assert "ai_source_tag" in sent_json(vendor_calls()[1])["properties"]
    assert (found.id, found.fields["dealstage"]) == ("18431", "appointmentscheduled")


@responses.activate
def test_it_reads_no_deals_when_the_contact_has_none(recorded):
    portal()
    replay(responses, "GET", f"{API}/crm/objects/2026-03/contacts/51/associations/deals", V,
           "associations_deals_200_empty")  # fmt: skip
    assert build(recorded(V)).find_deal(contact_id="51", name="x (booking)") is None
    assert len(vendor_calls()) == 1


@responses.activate
def test_it_does_not_take_a_deal_with_another_source_tag(recorded):
    portal()
    replay(responses, "GET", f"{API}/crm/objects/2026-03/contacts/51/associations/deals", V,
           "associations_deals_200")  # fmt: skip
    replay(responses, "POST", f"{API}/crm/v3/objects/deals/batch/read", V, "batch_read_deals_207")
    crm = build(recorded(V))
    assert crm.find_deal(contact_id="51", name="Mary O'Brien (booking)", source_tag="x") is None


@responses.activate
def test_it_finds_the_contacts_note_with_the_same_body(recorded):
    for _ in range(2):
        replay(responses, "GET", f"{API}/crm/objects/2026-03/contacts/51/associations/notes", V,
               "associations_notes_200")  # fmt: skip
        replay(responses, "POST", f"{API}/crm/v3/objects/notes/batch/read", V,
               "batch_read_notes_200")  # fmt: skip
    crm = build(recorded(V))
    assert crm.find_note(contact_id="51", body="Asked about pricing.").id == "9001"
    assert crm.find_note(contact_id="51", body="Asked about something else.") is None


# --- deals created idempotently: upsert by a unique write key ------------------------------------
DEAL_PROPERTY = f"{API}/crm/v3/properties/deals/switchboard_write_key"
UPSERT = f"{API}/crm/v3/objects/deals/batch/upsert"
ASSOCIATE = f"{API}/crm/objects/2026-03/deals/18431/associations/default/contacts/51"
KEY = "sb-6f1c8f9e-2d3b-4c5a-9e7f-0a1b2c3d4e5f-7"


def _deal(crm, write_key: str = KEY):
    return crm.create_deal(contact_id="51", name="Mary O'Brien (booking)",
                           stage="appointmentscheduled", source_tag="AI_Chatbot",
                           write_key=write_key)  # fmt: skip


@responses.activate
def test_a_deal_with_a_write_key_adds_the_unique_property_once_then_upserts(recorded):
    portal()
    replay(responses, "GET", DEAL_PROPERTY, V, "get_deal_property_404")
    replay(responses, "POST", f"{API}/crm/v3/properties/deals", V, "create_deal_property_201")
    for _ in range(2):
        replay(responses, "POST", UPSERT, V, "upsert_deals_200")
        replay(responses, "PUT", ASSOCIATE, V, "associate_deal_contact_200")
    connection = recorded(V)
    first = _deal(build(connection))
    second = _deal(build(connection))  # a new client: the property is remembered per connection
    calls = [(c.request.method, c.request.url.split("?")[0]) for c in vendor_calls()]
    assert calls == [
        ("GET", DEAL_PROPERTY), ("POST", f"{API}/crm/v3/properties/deals"),
        ("POST", UPSERT), ("PUT", ASSOCIATE), ("POST", UPSERT), ("PUT", ASSOCIATE),
    ]  # fmt: skip
    definition = sent_json(vendor_calls()[1])
    assert (definition["name"], definition["hasUniqueValue"]) == ("switchboard_write_key", True)
    assert (definition["type"], definition["fieldType"]) == ("string", "text")
    [row] = sent_json(vendor_calls()[2])["inputs"]
    assert (row["idProperty"], row["id"]) == ("switchboard_write_key", KEY)
    assert row["properties"]["dealname"] == "Mary O'Brien (booking)"
    assert row["properties"]["ai_source_tag"] == "AI_Chatbot"
    assert (first.id, first.existed, second.id) == ("18431", False, "18431")


@responses.activate
def test_an_upsert_that_finds_the_deal_reports_it_existed(recorded):
    portal()
    replay(responses, "GET", DEAL_PROPERTY, V, "get_deal_property_200")
    replay(responses, "POST", UPSERT, V, "upsert_deals_200_existing")
    replay(responses, "PUT", ASSOCIATE, V, "associate_deal_contact_200")
    deal = _deal(build(recorded(V)))
    assert (deal.id, deal.existed) == ("18431", True)


@pytest.mark.parametrize(
    ("answers", "calls"),
    [
        # The portal did not grant crm.schemas.deals.write: a plain create, as before.
        ((("GET", "get_deal_property_404"), ("POST", "create_deal_property_403")), 3),
        # Someone made the property without unique values: it cannot key an upsert.
        ((("GET", "get_deal_property_200_not_unique"),), 2),
        # The portal did not grant crm.schemas.deals.read: it cannot even be looked at.
        ((("GET", "get_deal_property_403"),), 2),
        # Another worker added it first (409), but without unique values: as above.
        ((("GET", "get_deal_property_404"), ("POST", "create_deal_property_409"),
          ("GET", "get_deal_property_200_not_unique")), 4),
    ],
)  # fmt: skip
@responses.activate
def test_a_portal_without_a_unique_write_key_gets_a_plain_create(recorded, answers, calls):
    portal()
    for method, name in answers:
        url = DEAL_PROPERTY if method == "GET" else f"{API}/crm/v3/properties/deals"
        replay(responses, method, url, V, name)
    replay(responses, "POST", f"{API}/crm/v3/objects/deals", V, "create_deal_201")
    deal = _deal(build(recorded(V)))
    assert len(vendor_calls()) == calls
    assert vendor_calls()[-1].request.url == f"{API}/crm/v3/objects/deals"
    body = sent_json(vendor_calls()[-1])
    assert body["associations"][0]["to"] == {"id": "51"}
    assert "switchboard_write_key" not in body["properties"]
    assert (deal.id, deal.existed) == ("18431", False)


@responses.activate
def test_the_unique_property_found_after_a_409_keys_the_upsert(recorded):
    portal()
    replay(responses, "GET", DEAL_PROPERTY, V, "get_deal_property_404")
    replay(responses, "POST", f"{API}/crm/v3/properties/deals", V, "create_deal_property_409")
    replay(responses, "GET", DEAL_PROPERTY, V, "get_deal_property_200")
    replay(responses, "POST", UPSERT, V, "upsert_deals_200")
    replay(responses, "PUT", ASSOCIATE, V, "associate_deal_contact_200")
    assert _deal(build(recorded(V))).id == "18431"
    assert len(vendor_calls()) == 5


@responses.activate
def test_a_deal_without_a_write_key_is_a_plain_create_with_no_property_check(recorded):
    portal()
    replay(responses, "POST", f"{API}/crm/v3/objects/deals", V, "create_deal_201")
    assert _deal(build(recorded(V)), write_key="").id == "18431"
    assert len(vendor_calls()) == 1


def test_the_consent_url_asks_for_the_schema_scope_as_optional():
    """A portal may refuse it and still connect: deals are then plain creates."""
    from urllib.parse import parse_qs, urlsplit

    from connectors.oauth import authorize_url

    url = authorize_url("hubspot", state="s", code_challenge="c", tenant={})
    query = parse_qs(urlsplit(url).query)
    optional = {
        "crm.schemas.deals.read",
        "crm.schemas.deals.write",
        "crm.schemas.contacts.write",
        "communication_preferences.read_write",
    }
    assert set(query["optional_scope"][0].split()) == optional
    assert not optional & set(query["scope"][0].split())


@responses.activate
def test_an_upsert_refused_per_input_is_a_permanent_error_and_associates_nothing(recorded):
    portal()
    replay(responses, "GET", DEAL_PROPERTY, V, "get_deal_property_200")
    replay(responses, "POST", UPSERT, V, "upsert_deals_207")
    with pytest.raises(ConnectorError) as raised:
        _deal(build(recorded(V)))
    assert raised.value.permanent and raised.value.code == "VALIDATION_ERROR"
    assert "not one of the allowed options" in str(raised.value)
    assert len(vendor_calls()) == 2  # no association call


@responses.activate
def test_a_bare_portal_gets_switchboards_properties_before_the_first_contact(recorded):
    """A portal with HubSpot's own properties only: each of ours is created (in HubSpot's
    contact information group; the request checked against PropertyCreate), then named."""
    portal(contacts="properties_contacts_200_standard")
    for _ in range(7):
        replay(responses, "POST", f"{API}/crm/v3/properties/contacts", V,
               "create_deal_property_201")  # fmt: skip
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts", V, "create_contact_201")
    crm = build(recorded(V))
    [(change, kind, names)] = crm.ensure_fields()
    assert (change, kind, len(names)) == ("created", "contacts", 7)
    definitions = [sent_json(c) for c in vendor_calls()[:7]]
    assert {d["groupName"] for d in definitions} == {"contactinformation"}
    [tags] = [d for d in definitions if d["name"] == "switchboard_tags"]
    assert (tags["type"], tags["fieldType"], tags["options"]) == ("enumeration", "checkbox", [])
    crm.create_contact(CrmContact(email="ada@example.com"), source_tag="AI_Chatbot")
    assert sent_json(vendor_calls()[-1])["properties"]["ai_source_tag"] == "AI_Chatbot"
