"""The HubSpot emulator is as strict as HubSpot: reads, property definitions, and the values,
types, lengths and required fields it refuses, with HubSpot's error bodies."""

from __future__ import annotations

import json

import pytest

from tests.emulators.test_crm_wire import auth, post

pytestmark = pytest.mark.django_db
HS = "/emulators/hubspot/crm/v3"


def _contact(client, h, **props) -> str:
    made = post(client, f"{HS}/objects/contacts", {"properties": props}, h)
    assert made.status_code == 201, made.content
    return made.json()["id"]


def _refusal(response) -> list[dict]:
    """HubSpot's 400: VALIDATION_ERROR, the per-value results inside the message."""
    body = response.json()
    assert (response.status_code, body["status"], body["category"]) == (
        400, "error", "VALIDATION_ERROR",
    )  # fmt: skip
    prefix = "Property values were not valid: "
    assert body["message"].startswith(prefix) and body["correlationId"]
    return json.loads(body["message"][len(prefix) :])


def test_it_reads_every_repeated_properties_parameter(client):
    h = auth("hubspot", "hw1")
    contact = _contact(client, h, email="r@example.com", firstname="Rae", lastname="Ng")
    url = f"{HS}/objects/contacts/{contact}?properties=firstname&properties=lastname,email"
    props = client.get(url, **h).json()["properties"]
    assert (props["firstname"], props["lastname"], props["email"]) == (
        "Rae", "Ng", "r@example.com",
    )  # fmt: skip
    listed = client.get(f"{HS}/objects/contacts?properties=firstname&properties=lastname", **h)
    assert listed.json()["results"][0]["properties"]["lastname"] == "Ng"


def test_a_created_property_keeps_its_group_description_and_options(client):
    h = auth("hubspot", "hw2")
    definition = {"name": "shoe_size", "label": "Shoe size", "type": "enumeration",
                  "fieldType": "select", "groupName": "contactinformation",
                  "description": "For the shop.",
                  "options": [{"label": "Small", "value": "s", "hidden": False,
                               "displayOrder": 0}]}  # fmt: skip
    made = post(client, f"{HS}/properties/contacts", definition, h).json()
    read = client.get(f"{HS}/properties/contacts/shoe_size", **h).json()
    for body in (made, read):
        assert (body["groupName"], body["description"]) == ("contactinformation", "For the shop.")
        assert body["options"] == [{"label": "Small", "value": "s", "displayOrder": 0,
                                    "hidden": False}]  # fmt: skip
        assert {"createdAt", "updatedAt", "archived"} <= set(body)


def test_a_portal_has_only_hubspots_own_properties_at_first(client):
    h = auth("hubspot", "hw3")
    names = {p["name"] for p in client.get(f"{HS}/properties/contacts", **h).json()["results"]}
    assert {"email", "firstname", "lifecyclestage"} <= names
    assert not {n for n in names if n.startswith(("ai_", "switchboard"))}
    [result] = _refusal(post(client, f"{HS}/objects/contacts",
                             {"properties": {"ai_source_tag": "x"}}, h))  # fmt: skip
    assert (result["error"], result["name"]) == ("PROPERTY_DOESNT_EXIST", "ai_source_tag")


@pytest.mark.parametrize(
    ("props", "error"),
    [
        ({"lifecyclestage": "prospect"}, "INVALID_OPTION"),
        ({"hs_lead_status": "new"}, "INVALID_OPTION"),  # options are case-sensitive
        ({"firstname": "x" * 65_537}, "MAX_LENGTH_EXCEEDED"),
        ({"firstname": {"first": "Ada"}}, "INVALID_PROPERTY_VALUE"),
        ({"createdate": "2026-01-01T00:00:00Z"}, "READ_ONLY_VALUE"),
    ],
)
def test_it_refuses_what_hubspot_refuses_on_a_contact(client, props, error):
    h = auth("hubspot", "hw4")
    [result] = _refusal(post(client, f"{HS}/objects/contacts", {"properties": props}, h))
    assert result["error"] == error and result["isValid"] is False


@pytest.mark.parametrize(
    ("props", "error"),
    [({"amount": "12 euros"}, "INVALID_DECIMAL"), ({"amount": " 12"}, "INVALID_DECIMAL"),
     ({"closedate": "next week"}, "INVALID_DATE"), ({"dealstage": "won"}, "INVALID_OPTION")],
)  # fmt: skip
def test_it_refuses_wrong_types_on_a_deal(client, props, error):
    h = auth("hubspot", "hw5")
    body = {"properties": {"dealname": "D", "dealstage": "qualifiedtobuy", **props}}
    [result] = _refusal(post(client, f"{HS}/objects/deals", body, h))
    assert result["error"] == error


def test_it_refuses_bodies_missing_what_the_schema_requires(client):
    h = auth("hubspot", "hw6")
    contact = _contact(client, h, email="m@example.com")
    bad = [
        (f"{HS}/objects/contacts", {"email": "x@example.com"}),  # no "properties"
        (f"{HS}/objects/deals/batch/read", {"properties": [], "inputs": [{"id": contact}]}),
        (f"{HS}/objects/contacts/search",
         {"filterGroups": [{"filters": [{"propertyName": "email", "value": "x"}]}]}),
        (f"{HS}/objects/contacts/search", {"filterGroups": [{}]}),
        (f"{HS}/objects/notes",
         {"properties": {"hs_timestamp": "2026-12-04T10:00:00Z", "hs_note_body": "n"},
          "associations": [{"to": {"id": contact}}]}),  # no association types
        (f"{HS}/properties/contacts", {"name": "x", "label": "X", "type": "string",
                                        "fieldType": "text"}),  # no groupName
    ]  # fmt: skip
    for url, body in bad:
        response = post(client, url, body, h)
        assert response.status_code == 400, (url, response.content)
        assert response.json()["category"] == "VALIDATION_ERROR"


def test_a_tag_option_added_by_patch_is_accepted_afterwards(client):
    h = auth("hubspot", "hw7")
    definition = {
        "name": "switchboard_tags",
        "label": "Tags",
        "type": "enumeration",
        "fieldType": "checkbox",
        "groupName": "contactinformation",
        "options": [],
    }
    assert post(client, f"{HS}/properties/contacts", definition, h).status_code == 201
    [result] = _refusal(post(client, f"{HS}/objects/contacts",
                             {"properties": {"switchboard_tags": "hot"}}, h))  # fmt: skip
    assert result["error"] == "INVALID_OPTION"
    patched = client.patch(
        f"{HS}/properties/contacts/switchboard_tags",
        data=json.dumps({"options": [{"label": "hot", "value": "hot", "hidden": False,
                                      "displayOrder": 0}]}),
        content_type="application/json", **h,
    )  # fmt: skip
    assert patched.status_code == 200 and patched.json()["options"][0]["value"] == "hot"
    assert _contact(client, h, switchboard_tags="hot")


def test_batch_errors_and_pipelines_carry_the_fields_hubspots_models_require(client):
    h = auth("hubspot", "hw8")
    body = {"properties": [], "propertiesWithHistory": [], "inputs": [{"id": "999"}]}
    answer = post(client, f"{HS}/objects/deals/batch/read", body, h)
    [error] = answer.json()["errors"]
    assert answer.status_code == 207
    assert {"status", "category", "message", "errors", "context", "links"} <= set(error)
    [pipeline] = client.get(f"{HS}/pipelines/deals", **h).json()["results"]
    assert {"createdAt", "updatedAt", "archived"} <= set(pipeline)
    assert all({"createdAt", "updatedAt", "archived"} <= set(s) for s in pipeline["stages"])
