"""The Pipedrive emulator refuses what Pipedrive v2 refuses, with Pipedrive's error body."""

from __future__ import annotations

import pytest

from emulators.crm import control
from emulators.crm.pipedrive import custom_key
from tests.emulators.test_crm_wire import auth, post

pytestmark = pytest.mark.django_db
PD = "/emulators/pipedrive/api/v2"


def _refusal(response) -> str:
    assert response.status_code == 400
    body = response.json()
    assert (body["success"], body["code"], body["data"]) == (
        False, "ERR_SCHEMA_VALIDATION_FAILED", None,
    )  # fmt: skip
    return body["error"]


def test_it_refuses_a_first_name_outside_the_v2_person_schema(client):
    body = {"name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace"}
    refused = post(client, f"{PD}/persons", body, auth("pipedrive", "s1"))
    assert _refusal(refused) == (
        "Validation failed: Parameter 'first_name' is not allowed for this request"
    )
    assert control.counts("pipedrive", "s1")["objects"] == {}


def test_it_refuses_a_first_name_on_update_too(client):
    h = auth("pipedrive", "s1")
    person_id = post(client, f"{PD}/persons", {"name": "Ada"}, h).json()["data"]["id"]
    refused = client.patch(f"{PD}/persons/{person_id}", data={"last_name": "Byron"},
                           content_type="application/json", **h)  # fmt: skip
    assert "Parameter 'last_name' is not allowed" in _refusal(refused)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"emails": [{"value": "a@e.com"}]}, "Parameter 'name' is required"),
        ({"name": "Ada", "owner_id": "1"}, "owner_id: must be of type integer"),
        ({"name": "Ada", "emails": "a@e.com"}, "emails: must be of type array<contact>"),
        ({"name": "Ada", "emails": [{"value": "a@e.com", "type": "x"}]}, "emails"),
        ({"name": "Ada", "marketing_status": "maybe"}, "marketing_status: must be one of"),
        ({"name": "Ada", "label_ids": [999]}, "label_ids: unknown label"),
        ({"name": "Ada", "custom_fields": {"nope": "x"}}, "custom_fields: unknown field key"),
        ({"name": "Ada", "custom_fields": {custom_key("AI intent"): "x" * 256}},
         "must be at most 255 characters long"),
    ],
)  # fmt: skip
def test_it_refuses_persons_pipedrive_would_refuse(client, body, says):
    control.add_custom_field("pipedrive", "s1", "person", "AI intent", "AI intent")
    assert says in _refusal(post(client, f"{PD}/persons", body, auth("pipedrive", "s1")))


def test_it_takes_a_varchar_custom_field_of_255_characters(client):
    control.add_custom_field("pipedrive", "s1", "person", "AI intent", "AI intent")
    body = {"name": "Ada", "custom_fields": {custom_key("AI intent"): "x" * 255}}
    assert post(client, f"{PD}/persons", body, auth("pipedrive", "s1")).status_code == 200


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"person_id": 1}, "Parameter 'title' is required"),
        ({"title": "T", "name": "T"}, "Parameter 'name' is not allowed"),
        ({"title": "T", "value": "12"}, "value: must be of type number"),
        ({"title": "T", "stage_id": 999}, "stage_id: stage not found"),
    ],
)
def test_it_refuses_deals_pipedrive_would_refuse(client, body, says):
    assert says in _refusal(post(client, f"{PD}/deals", body, auth("pipedrive", "s1")))


def test_it_pages_stages_at_100_with_a_cursor(client):
    h = auth("pipedrive", "s1")
    control.configure("pipedrive", "s1", stages=[[100 + n, f"S{n}"] for n in range(120)])
    first = client.get(f"{PD}/stages", **h).json()
    assert len(first["data"]) == 100 and first["additional_data"]["next_cursor"]
    rest = client.get(f"{PD}/stages", {"cursor": first["additional_data"]["next_cursor"]},
                      **h).json()  # fmt: skip
    assert len(rest["data"]) == 25 and rest["additional_data"]["next_cursor"] is None


@pytest.mark.parametrize("limit", ["abc", "0", "501", "-1"])
def test_a_bad_limit_is_pipedrives_400_not_a_500(client, limit):
    h = auth("pipedrive", "s1")
    for url in (f"{PD}/persons", f"{PD}/stages", "/emulators/pipedrive/api/v1/notes"):
        assert "limit: must be an integer" in _refusal(client.get(url, {"limit": limit}, **h))


# --- person fields: a new company has Pipedrive's own only; custom ones are created ------------


def _scoped(scopes: str) -> dict[str, str]:
    """Headers with a token whose grant holds ``scopes`` (Pipedrive's comma-separated list)."""
    from emulators.models import EmulatorGrant

    headers = auth("pipedrive", "s1")
    EmulatorGrant.objects.filter(provider="pipedrive").update(scopes=scopes)
    return headers


def _field_names(client, h) -> list[str]:
    rows = client.get("/emulators/pipedrive/api/v1/personFields", **h).json()["data"]
    return [r["name"] for r in rows if r["edit_flag"]]


def test_a_new_company_has_no_custom_person_fields(client):
    h = auth("pipedrive", "s1")
    rows = client.get("/emulators/pipedrive/api/v1/personFields", **h).json()["data"]
    assert [r["key"] for r in rows] == ["name", "email", "phone", "first_name", "last_name",
                                        "org_id", "label_ids"]  # fmt: skip
    refused = post(client, f"{PD}/persons",
                   {"name": "Ada", "custom_fields": {custom_key("AI intent"): "x"}}, h)  # fmt: skip
    assert "custom_fields: unknown field key" in _refusal(refused)


def test_it_creates_a_person_field_with_pipedrives_v2_answer(client):
    h = _scoped("base,contacts:full,contact-fields:full")
    body = {"field_name": "AI intent", "field_type": "varchar"}
    created = post(client, f"{PD}/personFields", body, h)
    assert created.status_code == 200
    data = created.json()["data"]
    assert (data["field_name"], data["field_type"], data["is_custom_field"]) == (
        "AI intent", "varchar", True)  # fmt: skip
    assert len(data["field_code"]) == 40
    assert _field_names(client, h) == ["AI intent"]
    person = post(client, f"{PD}/persons",
                  {"name": "Ada", "custom_fields": {data["field_code"]: "pricing"}}, h)  # fmt: skip
    assert person.json()["data"]["custom_fields"] == {data["field_code"]: "pricing"}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"name": "AI intent", "field_type": "varchar"}, "Parameter 'name' is not allowed"),
        ({"field_name": "AI intent"}, "Parameter 'field_type' is required"),
        ({"field_name": "AI intent", "field_type": "string"}, "field_type: must be one of"),
        ({"field_name": "Size", "field_type": "enum"}, "options: required"),
        ({"field_name": "", "field_type": "varchar"}, "field_name: must be 1 to 255"),
    ],
)
def test_it_refuses_person_fields_pipedrive_would_refuse(client, body, says):
    h = auth("pipedrive", "s1")
    assert says in _refusal(post(client, f"{PD}/personFields", body, h))
    assert _field_names(client, h) == []


@pytest.mark.parametrize("scopes", ["base,contacts:full,deals:full", "base,contacts:read"])
def test_a_grant_without_a_fields_scope_gets_a_403(client, scopes):
    h = _scoped(scopes)
    refused = post(client, f"{PD}/personFields", {"field_name": "X", "field_type": "varchar"}, h)
    assert refused.status_code == 403
    assert refused.json() == {"success": False, "error": "Scope and URL mismatch", "errorCode": 403}
    assert _field_names(client, h) == []


def test_the_admin_scope_may_create_fields_too(client):
    h = _scoped("base,admin")
    body = {"field_name": "X", "field_type": "varchar"}
    assert post(client, f"{PD}/personFields", body, h).status_code == 200


def test_a_company_that_keeps_its_fields_to_admins_refuses_with_a_403(client):
    control.configure("pipedrive", "s1", fields_admin=False)
    h = auth("pipedrive", "s1")
    refused = post(client, f"{PD}/personFields", {"field_name": "X", "field_type": "varchar"}, h)
    assert refused.status_code == 403 and refused.json()["error"] == "Scope and URL mismatch"


def test_a_numeric_custom_field_refuses_a_string(client):
    control.add_custom_field("pipedrive", "s1", "person", "Score", "Score", "double")
    h = auth("pipedrive", "s1")
    key = custom_key("Score")
    refused = post(client, f"{PD}/persons", {"name": "Ada", "custom_fields": {key: "82"}}, h)
    assert f"custom_fields.{key}: must be of type number" in _refusal(refused)
    taken = post(client, f"{PD}/persons", {"name": "Ada", "custom_fields": {key: 82}}, h)
    assert taken.status_code == 200
