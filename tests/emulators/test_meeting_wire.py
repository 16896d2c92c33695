"""The CRM emulators store meetings the way each vendor does and refuse what it refuses,
with its error body: a missing required field, an invalid value, a contact that is not there."""

from __future__ import annotations

import json

import pytest

from tests.emulators.test_crm_wire import auth, post

pytestmark = pytest.mark.django_db
HS = "/emulators/hubspot/crm/v3"


def _hubspot_contact(client, h) -> str:
    made = post(client, f"{HS}/objects/contacts", {"properties": {"email": "m@example.com"}}, h)
    return made.json()["id"]


def _hubspot_meeting(contact_id: str, type_id: int = 200, **props) -> dict:
    association = {"to": {"id": contact_id}, "types": [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}  # fmt: skip
    return {"properties": props, "associations": [association]}


def test_hubspot_refuses_a_meeting_without_timestamp_or_start(client):
    h = auth("hubspot", "mw1")
    contact = _hubspot_contact(client, h)
    refused = post(client, f"{HS}/objects/meetings",
                   _hubspot_meeting(contact, hs_meeting_title="x"), h)  # fmt: skip
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    taken = post(client, f"{HS}/objects/meetings", _hubspot_meeting(
        contact, hs_meeting_start_time="2027-01-05T10:00:00.000Z"), h)  # fmt: skip
    assert taken.status_code == 201
    assert taken.json()["properties"]["hs_timestamp"] == "2027-01-05T10:00:00.000Z"


def test_hubspot_refuses_an_outcome_that_is_not_an_option(client):
    h = auth("hubspot", "mw2")
    contact = _hubspot_contact(client, h)
    body = _hubspot_meeting(contact, hs_timestamp="2027-01-05T10:00:00.000Z",
                            hs_meeting_outcome="NOSHOW")  # fmt: skip
    refused = post(client, f"{HS}/objects/meetings", body, h)
    assert refused.status_code == 400
    message = refused.json()["message"]
    results = json.loads(message[len("Property values were not valid: ") :])
    assert results[0]["error"] == "INVALID_OPTION" and results[0]["name"] == "hs_meeting_outcome"


def test_hubspot_refuses_a_meeting_associated_with_a_notes_type_id(client):
    h = auth("hubspot", "mw3")
    contact = _hubspot_contact(client, h)
    body = _hubspot_meeting(contact, 202, hs_timestamp="2027-01-05T10:00:00.000Z")
    refused = post(client, f"{HS}/objects/meetings", body, h)
    assert refused.status_code == 400
    assert refused.json()["message"] == "One or more associations are invalid"


SF = "/emulators/salesforce/services/data/v62.0/sobjects"


def test_salesforce_refuses_a_timed_event_without_an_end(client):
    h = auth("salesforce", "mw4")
    body = {"Subject": "x", "StartDateTime": "2027-01-05T10:00:00.000+0000"}
    refused = post(client, f"{SF}/Event", body, h)
    assert refused.status_code == 400
    assert refused.json() == [{"message": "Required fields are missing: [DurationInMinutes]",
                               "errorCode": "REQUIRED_FIELD_MISSING",
                               "fields": ["DurationInMinutes"]}]  # fmt: skip
    body["EndDateTime"] = "not a time"
    assert post(client, f"{SF}/Event", body, h).json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    body["EndDateTime"] = "2027-01-05T10:30:00.000+0000"
    assert post(client, f"{SF}/Event", body, h).status_code == 201


ZO = "/emulators/zoho/crm/v8"


def test_zoho_refuses_an_event_without_its_end_or_with_a_naive_time(client):
    h = auth("zoho", "mw5", "Zoho-oauthtoken")
    event = {"Event_Title": "x", "Start_DateTime": "2027-01-05T10:00:00+01:00"}
    refused = post(client, f"{ZO}/Events", {"data": [event]}, h)
    assert refused.status_code == 400
    entry = refused.json()["data"][0]
    assert (entry["code"], entry["details"]["api_name"]) == ("MANDATORY_NOT_FOUND", "End_DateTime")
    event["End_DateTime"] = "2027-01-05T11:00:00"  # no offset
    entry = post(client, f"{ZO}/Events", {"data": [event]}, h).json()["data"][0]
    assert (entry["code"], entry["details"]["expected_data_type"]) == ("INVALID_DATA", "datetime")
    event["End_DateTime"] = "2027-01-05T09:00:00+01:00"  # before the start
    entry = post(client, f"{ZO}/Events", {"data": [event]}, h).json()["data"][0]
    assert (entry["code"], entry["details"]["api_name"]) == ("INVALID_DATA", "End_DateTime")


PD = "/emulators/pipedrive/api/v2/activities"


def test_pipedrive_refuses_a_field_outside_the_schema_and_an_unknown_type(client):
    h = auth("pipedrive", "mw6")
    refused = post(client, PD, {"subject": "x", "start": "2027-01-05"}, h)
    assert refused.status_code == 400 and refused.json()["success"] is False
    assert refused.json()["error"] == (
        "Validation failed: Parameter 'start' is not allowed for this request"
    )
    refused = post(client, PD, {"subject": "x", "type": "appointment"}, h)
    assert refused.status_code == 400 and "type" in refused.json()["error"]
    refused = post(client, PD, {"subject": "x", "due_time": "9:30"}, h)
    assert refused.status_code == 400 and "due_time" in refused.json()["error"]
    assert post(client, PD, {"subject": "x", "type": "meeting"}, h).status_code == 200
