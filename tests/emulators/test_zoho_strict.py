"""The Zoho emulator answers as Zoho does: 204 without a body or a Content-Type, Zoho's errors
for unknown modules, and the per-record INVALID_DATA / MANDATORY_NOT_FOUND for what an org
refuses (unknown fields, picklist values, types, lengths, missing mandatory fields)."""

from __future__ import annotations

import pytest

from emulators.crm import control
from emulators.crm.zoho import FIELDS
from tests.emulators.test_crm_wire import auth, post

pytestmark = pytest.mark.django_db
ZO = "/emulators/zoho/crm/v8"


@pytest.fixture
def h():
    return auth("zoho", "z9", "Zoho-oauthtoken")


def test_nothing_found_is_204_with_no_body_and_no_content_type(client, h):
    for url, params in ((f"{ZO}/Contacts/search", {"email": "no@e.com"}),
                        (f"{ZO}/Contacts/4150868000000000999", {})):  # fmt: skip
        response = client.get(url, params, **h)
        assert response.status_code == 204 and response.content == b""
        assert "Content-Type" not in response.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/Widgets/1"), ("post", "/Widgets"), ("get", "/Widgets/search?email=a@e.com"),
     ("post", "/Widgets/1/actions/add_tags"), ("get", "/Widgets/1/Notes?fields=Note_Title"),
     ("get", "/settings/fields?module=Widgets")],
)  # fmt: skip
def test_an_unknown_module_is_zohos_invalid_module(client, h, method, path):
    response = getattr(client, method)(f"{ZO}{path}", content_type="application/json", **h)
    assert response.status_code == 400
    assert response.json() == {"code": "INVALID_MODULE", "details": {},
                               "message": "the module name given seems to be invalid",
                               "status": "error"}  # fmt: skip


@pytest.mark.parametrize(
    ("record", "code", "details"),
    [
        ({"Last_Name": "L", "AI_Company": "Acme"}, "INVALID_DATA", {"api_name": "AI_Company"}),
        ({"Last_Name": "L", "Lead_Source": "AI_Chatbot"}, "INVALID_DATA",
         {"api_name": "Lead_Source"}),
        ({"Last_Name": 5}, "INVALID_DATA", {"api_name": "Last_Name", "expected_data_type": "text"}),
        ({"Last_Name": "L", "Email": "not-an-email"}, "INVALID_DATA",
         {"api_name": "Email", "expected_data_type": "email"}),
        ({"Last_Name": "x" * 256}, "INVALID_DATA",
         {"api_name": "Last_Name", "maximum_length": 255}),
        ({"Last_Name": "L", "Phone": "1" * 31}, "INVALID_DATA",
         {"api_name": "Phone", "maximum_length": 30}),
        ({"First_Name": "No last name"}, "MANDATORY_NOT_FOUND", {"api_name": "Last_Name"}),
    ],
)  # fmt: skip
def test_it_refuses_records_an_org_refuses(client, h, record, code, details):
    response = post(client, f"{ZO}/Contacts", {"data": [record]}, h)
    assert response.status_code == 400
    entry = response.json()["data"][0]
    assert (entry["code"], entry["status"]) == (code, "error")
    assert details.items() <= entry["details"].items()
    assert control.counts("zoho", "z9")["objects"] == {}


def test_it_takes_the_longest_values_and_an_added_lead_source(client, h):
    control.configure("zoho", "z9", lead_sources=["AI_Chatbot"])
    record = {"Last_Name": "x" * 255, "Phone": "1" * 30, "Lead_Source": "AI_Chatbot"}
    assert post(client, f"{ZO}/Contacts", {"data": [record]}, h).status_code == 201


def test_an_org_starts_with_zohos_standard_fields_only(client, h):
    fields = client.get(f"{ZO}/settings/fields", {"module": "Contacts"}, **h).json()["fields"]
    assert {f["api_name"] for f in fields} == set(FIELDS["Contacts"])
    assert not any(f["custom_field"] for f in fields)
    source = next(f for f in fields if f["api_name"] == "Lead_Source")
    assert {"display_value": "Chat", "actual_value": "Chat"} in source["pick_list_values"]


def test_it_creates_a_custom_field_once_and_lists_it(client, h):
    url = f"{ZO}/settings/fields?module=Contacts"
    body = {"fields": [{"field_label": "AI Company", "data_type": "text", "length": 255}]}
    created = post(client, url, body, h)
    assert created.status_code == 201 and created.json()["fields"][0]["code"] == "SUCCESS"
    again = post(client, url, body, h)
    assert again.status_code == 400 and again.json()["fields"][0]["code"] == "DUPLICATE_DATA"
    fields = client.get(f"{ZO}/settings/fields", {"module": "Contacts"}, **h).json()["fields"]
    assert [f["api_name"] for f in fields if f["custom_field"]] == ["AI_Company"]
    record = {"Last_Name": "L", "AI_Company": "Acme"}
    assert post(client, f"{ZO}/Contacts", {"data": [record]}, h).status_code == 201


def test_a_user_who_may_not_customise_the_org_is_refused(client, h):
    control.configure("zoho", "z9", fields_admin=False)
    body = {"fields": [{"field_label": "AI Company", "data_type": "text"}]}
    refused = post(client, f"{ZO}/settings/fields?module=Contacts", body, h)
    assert refused.status_code == 403 and refused.json()["code"] == "NO_PERMISSION"


def test_the_emulators_standard_fields_are_the_sdks():
    """Every standard field the emulator serves is one Zoho's v8 SDK defines for the module."""
    from tests.connectors.zoho.conftest import sdk_fields

    for module, fields in FIELDS.items():
        assert set(fields) <= sdk_fields(module), module


@pytest.mark.parametrize("params", [{"per_page": "abc"}, {"per_page": "0"}, {"page": "x"}])
def test_a_bad_page_parameter_is_a_400_not_a_500(client, h, params):
    response = client.get(f"{ZO}/Contacts", {"fields": "Last_Name", **params}, **h)
    assert response.status_code == 400 and response.json()["code"] == "INVALID_DATA"
