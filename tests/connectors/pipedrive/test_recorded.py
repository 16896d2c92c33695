"""The Pipedrive client against recorded Pipedrive responses, at the HTTP seam."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from connectors.base import ConnectorError, CrmContact
from connectors.pipedrive.client import build
from emulators.crm.pipedrive_schema import PERSON, schema_problem
from tests.connectors.crm_fixtures import replay, sent_json

pytestmark = pytest.mark.django_db
API = "https://acme.pipedrive.com"  # api_domain from the token response
V = "pipedrive"
SOURCE_KEY = "8f4b27fbd737386fe3c2e2a3a5ab4a8fce1d1c40"


def _query(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


@responses.activate
def test_it_searches_exactly_by_email_then_phone(recorded):
    replay(responses, "GET", f"{API}/api/v2/persons/search", V, "search_persons_200_empty")
    replay(responses, "GET", f"{API}/api/v2/persons/search", V, "search_persons_200")
    replay(responses, "GET", f"{API}/api/v2/persons/42", V, "get_person_200")
    found = build(recorded(V)).find_contact(email="Ada@Example.com", phone="+14155550100")
    first, second = _query(responses.calls[0]), _query(responses.calls[1])
    assert (first["term"], first["fields"], first["exact_match"]) == (
        ["ada@example.com"], ["email"], ["true"],
    )  # fmt: skip
    assert (second["term"], second["fields"]) == (["+14155550100"], ["phone"])
    assert (found.id, found.contact.email, found.fields["label_ids"]) == ("42", "ada@example.com",
                                                                          "2")  # fmt: skip


@responses.activate
def test_it_creates_persons_with_v2_emails_and_the_source_tag_field(recorded):
    replay(responses, "GET", f"{API}/api/v1/personFields", V, "person_fields_200")
    replay(responses, "POST", f"{API}/api/v2/persons", V, "create_person_200")
    build(recorded(V)).create_contact(
        CrmContact(email="ada@example.com", first_name="Ada", last_name="Lovelace"),
        source_tag="AI_Chatbot",
    )
    body = sent_json(responses.calls[1])
    assert body["name"] == "Ada Lovelace"
    assert "first_name" not in body and "last_name" not in body  # not in the v2 schema
    assert body["emails"] == [{"value": "ada@example.com", "primary": True, "label": "work"}]
    assert body["custom_fields"] == {SOURCE_KEY: "AI_Chatbot"}


@responses.activate
def test_it_resolves_stage_names_and_creates_v2_deals(recorded):
    replay(responses, "GET", f"{API}/api/v2/stages", V, "stages_200")
    replay(responses, "POST", f"{API}/api/v2/deals", V, "create_deal_200")
    deal = build(recorded(V)).create_deal(contact_id="42", name="Ada: demo",
                                          stage="demo scheduled", amount="1200")  # fmt: skip
    assert sent_json(responses.calls[1]) == {
        "title": "Ada: demo", "person_id": 42, "stage_id": 3, "value": 1200.0,
    }  # fmt: skip
    assert deal.id == "5"


@responses.activate
def test_it_writes_html_notes_through_v1(recorded, bodies_fit_the_schema):
    replay(responses, "POST", f"{API}/api/v1/notes", V, "create_note_201")
    note = build(recorded(V)).add_note(contact_id="42", body="Asked about <pricing>.\nCall back")
    assert sent_json(responses.calls[0]) == {
        "content": "Asked about &lt;pricing&gt;.<br>Call back", "person_id": 42,
    }  # fmt: skip
    assert note.id == "7" and bodies_fit_the_schema == ["/api/v1/notes"]


@responses.activate
def test_it_treats_a_missing_person_as_gone(recorded):
    replay(responses, "DELETE", f"{API}/api/v2/persons/42", V, "delete_person_404")
    build(recorded(V)).delete("contact", "42")


@responses.activate
def test_it_refuses_labels_the_company_does_not_have(recorded):
    replay(responses, "GET", f"{API}/api/v1/personFields", V, "person_fields_200")
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).tag_contact("42", ["VIP"])
    assert raised.value.permanent and len(responses.calls) == 1


@responses.activate
def test_it_adds_a_missing_label_as_an_option_of_the_labels_field(recorded):
    replay(responses, "GET", f"{API}/api/v1/personFields", V, "person_fields_200")
    options = f"{API}/api/v2/personFields/label_ids/options"
    replay(responses, "POST", options, V, "add_label_options_200")
    crm = build(recorded(V))
    assert crm.ensure_tags(["Hot lead", "AI_Chatbot"]) == ["AI_Chatbot"]
    posted = [c for c in responses.calls if c.request.method == "POST"]
    assert [c.request.url for c in posted] == [options]
    assert sent_json(posted[0]) == [{"label": "AI_Chatbot"}]  # only the missing one
    # Its id comes from the answer: the fields are read before and under the lock, not after.
    calls = len(responses.calls)
    assert crm._labels()[1]["ai_chatbot"] == "31" and len(responses.calls) == calls == 3


@responses.activate
def test_a_refused_label_option_is_a_permanent_error(recorded):
    replay(responses, "GET", f"{API}/api/v1/personFields", V, "person_fields_200")
    options = f"{API}/api/v2/personFields/label_ids/options"
    replay(responses, "POST", options, V, "add_label_options_403")
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).ensure_tags(["AI_Chatbot"])
    assert raised.value.permanent and raised.value.status == 403
    assert "Scope and URL mismatch" in str(raised.value)


@responses.activate
def test_it_pages_persons_with_next_cursor(recorded):
    replay(responses, "GET", f"{API}/api/v2/persons", V, "list_persons_200_page1")
    replay(responses, "GET", f"{API}/api/v2/persons", V, "list_persons_200_page2")
    names = [r.fields["name"] for r in build(recorded(V)).iter_contacts(page_size=1)]
    assert names == ["One", "Two"]
    assert _query(responses.calls[1])["cursor"] == ["eyJpZCI6MX0"]


@responses.activate
def test_it_hands_the_rate_limit_wait_back(recorded):
    replay(responses, "GET", f"{API}/api/v2/persons/search", V, "search_persons_429",
           **{"x-ratelimit-reset": "2", "Retry-After": "5"})  # fmt: skip
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).find_contact(email="a@example.com")
    assert raised.value.retry_after == 5


@responses.activate
def test_it_finds_the_persons_deal_by_title(recorded):
    replay(responses, "GET", f"{API}/api/v2/deals", V, "list_deals_200")
    found = build(recorded(V)).find_deal(contact_id="1", name="Mary O'Brien (booking)")
    assert "person_id=1" in responses.calls[0].request.url
    assert (found.id, found.fields["stage_id"]) == ("42", "3")


@responses.activate
def test_it_finds_the_persons_note_whatever_html_pipedrive_made_of_it(recorded):
    replay(responses, "GET", f"{API}/api/v1/notes", V, "list_notes_200")
    body = "Wants a cleaning next week.\n\nSource: AI_Chatbot · acme-bot · sess-1"
    found = build(recorded(V)).find_note(contact_id="1", body=body)
    assert found.id == "77" and "person_id=1" in responses.calls[0].request.url


def test_the_v2_schema_check_refuses_a_top_level_first_name():
    """The check every recorded test runs (``conftest.bodies_fit_the_schema``) can fail."""
    problem = schema_problem(PERSON, {"name": "Ada Lovelace", "first_name": "Ada"})
    assert problem == "Validation failed: Parameter 'first_name' is not allowed for this request"


@responses.activate
def test_it_changes_a_first_name_by_writing_the_whole_name(recorded, bodies_fit_the_schema):
    replay(responses, "GET", f"{API}/api/v2/persons/42", V, "get_person_200")
    replay(responses, "PATCH", f"{API}/api/v2/persons/42", V, "create_person_200")
    previous = build(recorded(V)).update_contact("42", {"first_name": "Augusta"})
    assert sent_json(responses.calls[1]) == {"name": "Augusta Lovelace"}
    assert previous.fields == {"first_name": "Ada"}
    assert bodies_fit_the_schema == ["/api/v2/persons/42"]


@responses.activate
def test_it_restores_a_last_name_with_the_first_name_as_it_is(recorded):
    replay(responses, "GET", f"{API}/api/v2/persons/42", V, "get_person_200")
    replay(responses, "PATCH", f"{API}/api/v2/persons/42", V, "create_person_200")
    build(recorded(V)).restore_fields("contact", "42", {"last_name": "Byron"})
    assert sent_json(responses.calls[1]) == {"name": "Ada Byron"}


@responses.activate
def test_a_schema_refusal_is_a_permanent_error_with_pipedrives_message(recorded):
    replay(responses, "GET", f"{API}/api/v1/personFields", V, "person_fields_200")
    replay(responses, "POST", f"{API}/api/v2/persons", V, "create_person_400_schema")
    with pytest.raises(ConnectorError) as raised:
        build(recorded(V)).create_contact(CrmContact(email="a@example.com"), source_tag="")
    assert raised.value.permanent and raised.value.status == 400
    assert "is not allowed for this request" in str(raised.value)


@responses.activate
def test_it_follows_the_stage_cursor_to_find_a_stage_by_name(recorded):
    replay(responses, "GET", f"{API}/api/v2/stages", V, "stages_200_page1")
    replay(responses, "GET", f"{API}/api/v2/stages", V, "stages_200_page2")
    replay(responses, "POST", f"{API}/api/v2/deals", V, "create_deal_200")
    build(recorded(V)).create_deal(contact_id="42", name="Ada: demo",
                                   stage="booked by the chatbot")  # fmt: skip
    assert _query(responses.calls[1])["cursor"] == ["eyJpZCI6MX0"]
    assert sent_json(responses.calls[2])["stage_id"] == 108
