"""Switchboard's custom person fields against recorded Pipedrive answers: which calls the
client makes, in which order, and what it sends (every body checked against Pipedrive's v2
request schema by ``conftest.bodies_fit_the_schema``)."""

from __future__ import annotations

import pytest
import responses

from connectors.base import CrmContact
from connectors.pipedrive.client import build
from connectors.pipedrive.fields import OWN_FIELDS
from tests.connectors.crm_fixtures import fixture, replay, sent_json

pytestmark = pytest.mark.django_db
API = "https://acme.pipedrive.com"
V = "pipedrive"
FIELDS = f"{API}/api/v2/personFields"
SLUGS = {name: name.lower().replace(" ", "_") for name in OWN_FIELDS}  # fixture names
ADA = CrmContact(email="ada@example.com", first_name="Ada", last_name="Lovelace",
                 extra={"AI intent": "pricing", "AI lead score": "82"})  # fmt: skip


def _code(name: str) -> str:
    return fixture(V, f"add_person_field_200_{SLUGS[name]}")[1]["data"]["field_code"]


def _sequence() -> list[tuple[str, str]]:
    return [(c.request.method, c.request.url.split("?")[0].removeprefix(API))
            for c in responses.calls]  # fmt: skip


@responses.activate
def test_a_bare_company_gets_the_fields_before_the_first_person_names_them(
    recorded, bodies_fit_the_schema
):
    replay(responses, "GET", f"{API}/api/v1/personFields", V, "person_fields_200_bare")
    for name in OWN_FIELDS:
        replay(responses, "POST", FIELDS, V, f"add_person_field_200_{SLUGS[name]}")
    replay(responses, "POST", f"{API}/api/v2/persons", V, "create_person_200")
    crm = build(recorded(V))
    assert crm.ensure_fields("contact") == [("created", "person", list(OWN_FIELDS))]
    crm.create_contact(ADA, source_tag="AI_Chatbot")
    assert _sequence() == [
        ("GET", "/api/v1/personFields"),
        ("GET", "/api/v1/personFields"),  # again under the lock: no worker made them meanwhile
        *[("POST", "/api/v2/personFields")] * len(OWN_FIELDS),
        ("POST", "/api/v2/persons"),  # the answers' codes are kept: no read after the creates
    ]
    created = [sent_json(c) for c in responses.calls[2:-1]]
    assert [(b["field_name"], b["field_type"]) for b in created] == [
        (name, "varchar") for name in OWN_FIELDS
    ]
    # The person names the fields by the codes Pipedrive answered, not by a guess.
    assert sent_json(responses.calls[-1])["custom_fields"] == {
        _code("AI intent"): "pricing", _code("AI lead score"): "82",
        _code("Source tag"): "AI_Chatbot",
    }  # fmt: skip
    assert bodies_fit_the_schema.count("/api/v2/personFields") == len(OWN_FIELDS)


@responses.activate
def test_a_refused_field_create_keeps_the_values_in_a_note_on_the_person(recorded):
    replay(responses, "GET", f"{API}/api/v1/personFields", V, "person_fields_200_bare")
    replay(responses, "POST", FIELDS, V, "add_person_field_403")
    replay(responses, "POST", f"{API}/api/v2/persons", V, "create_person_200")
    replay(responses, "POST", f"{API}/api/v1/notes", V, "create_note_201")
    crm = build(recorded(V))
    assert crm.ensure_fields("contact") == [("refused", "person", list(OWN_FIELDS))]
    person = crm.create_contact(ADA, source_tag="AI_Chatbot")
    assert _sequence() == [
        ("GET", "/api/v1/personFields"),
        ("GET", "/api/v1/personFields"),
        ("POST", "/api/v2/personFields"),  # the first 403 answers for all of them
        ("POST", "/api/v2/persons"),
        ("POST", "/api/v1/notes"),
    ]
    assert "custom_fields" not in sent_json(responses.calls[3])
    note = sent_json(responses.calls[4])
    assert note["person_id"] == int(person.id) == 42
    assert note["content"].endswith("<br>AI intent: pricing<br>AI lead score: 82")


@responses.activate
def test_a_grant_without_a_fields_scope_is_not_asked(recorded):
    replay(responses, "GET", f"{API}/api/v1/personFields", V, "person_fields_200_bare")
    connection = recorded(V)
    connection.scopes = ["base", "contacts:full", "deals:full", "search:read"]
    crm = build(connection)
    assert crm.ensure_fields("contact") == [("refused", "person", list(OWN_FIELDS))]
    assert _sequence() == [("GET", "/api/v1/personFields")]


@pytest.mark.parametrize("scope", ["contact-fields:full", "admin"])
@responses.activate
def test_either_fields_scope_lets_the_client_create(recorded, scope):
    replay(responses, "GET", f"{API}/api/v1/personFields", V, "person_fields_200_bare")
    for name in OWN_FIELDS:
        replay(responses, "POST", FIELDS, V, f"add_person_field_200_{SLUGS[name]}")
    connection = recorded(V)
    connection.scopes = ["base", "contacts:full", scope]
    assert build(connection).ensure_fields("contact")[0][0] == "created"


@responses.activate
def test_the_catalogue_is_read_once_a_day_per_connection(recorded):
    replay(responses, "GET", f"{API}/api/v1/personFields", V, "person_fields_200")
    connection = recorded(V)
    build(connection).field_catalogue()
    build(connection).field_catalogue()  # another job: from the cache
    assert _sequence() == [("GET", "/api/v1/personFields")]
