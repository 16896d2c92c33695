"""The Pipedrive emulator refuses what Pipedrive v2 refuses, with Pipedrive's error body."""

from __future__ import annotations

import pytest

from connectors.emulators.crm import control
from connectors.emulators.crm.pipedrive import custom_key
from tests.connectors.emulators.test_crm_wire import auth, post

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
