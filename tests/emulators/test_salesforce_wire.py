"""The Salesforce emulator refuses what Salesforce refuses, with Salesforce's error list, and
takes the paths Salesforce takes (trailing slashes included)."""

from __future__ import annotations

import json

import pytest

from emulators.auth import issue_token_for_tests
from emulators.crm import control, soql

pytestmark = pytest.mark.django_db
SF = "/emulators/salesforce/services/data/v62.0"


def auth(account: str = "strict") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token_for_tests('salesforce', account, 3600)}"}


def post(client, url: str, body, headers=None):
    return client.post(url, data=json.dumps(body), content_type="application/json",
                       **(headers or auth()))  # fmt: skip


def refusal(response) -> tuple[int, str, list[str] | None]:
    [error] = response.json()
    assert set(error) <= {"message", "errorCode", "fields"} and error["message"]
    return response.status_code, error["errorCode"], error.get("fields")


def test_it_takes_paths_with_a_trailing_slash(client):
    h = auth()
    created = post(client, f"{SF}/sobjects/Contact/", {"LastName": "Slash"}, h)
    assert created.status_code == 201, created.content
    found = client.get(f"{SF}/query/", {"q": "SELECT Id FROM Contact"}, **h).json()
    assert [r["Id"] for r in found["records"]] == [created.json()["id"]]
    assert client.get(f"{SF}/sobjects/Contact/describe/", **h).status_code == 200
    record = client.get(f"{SF}/sobjects/Contact/{created.json()['id']}/", **h)
    assert record.json()["LastName"] == "Slash"


@pytest.mark.parametrize(
    "path", ["/nope", "/sobjects", "/sobjects/Contact/a/b/c", "/limits/x", ""]
)  # fmt: skip
def test_an_unknown_path_answers_salesforces_json_error_list(client, path):
    response = client.get(f"{SF}{path}", **auth())
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert refusal(response)[:2] == (404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "status", "code", "fields"),
    [
        ({"LastName": "X", "Shoe_Size__c": 9}, 400, "INVALID_FIELD", None),
        ({"FirstName": "No last name"}, 400, "REQUIRED_FIELD_MISSING", ["LastName"]),
        ({"LastName": "x" * 81}, 400, "STRING_TOO_LONG", ["LastName"]),
        ({"LastName": "X", "Email": "not an email"}, 400, "INVALID_EMAIL_ADDRESS", ["Email"]),
        ({"LastName": "X", "FirstName": {"a": 1}}, 400, "JSON_PARSER_ERROR", ["FirstName"]),
        ({"LastName": "X", "Id": "003000000000001AAA"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE",
         ["Id"]),
    ],
)  # fmt: skip
def test_it_refuses_a_contact_salesforce_refuses(client, body, status, code, fields):
    response = post(client, f"{SF}/sobjects/Contact", body)
    assert refusal(response) == (status, code, fields)
    assert control.counts("salesforce", "strict")["objects"] == {}


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"Name": "D", "StageName": "Nope", "CloseDate": "2027-01-01"},
         "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["StageName"]),
        ({"Name": "D", "StageName": "Prospecting", "CloseDate": "next week"},
         "JSON_PARSER_ERROR", ["CloseDate"]),
        ({"Name": "D", "StageName": "Prospecting", "CloseDate": "2027-01-01", "Amount": "lots"},
         "JSON_PARSER_ERROR", ["Amount"]),
    ],
)  # fmt: skip
def test_it_refuses_an_opportunity_with_a_bad_value(client, body, code, fields):
    assert refusal(post(client, f"{SF}/sobjects/Opportunity", body)) == (400, code, fields)


def test_an_update_cannot_clear_a_required_field_or_set_a_create_only_one(client):
    h = auth()
    contact = post(client, f"{SF}/sobjects/Contact", {"LastName": "Keep"}, h).json()["id"]
    url = f"{SF}/sobjects/Contact/{contact}"
    cleared = client.patch(url, json.dumps({"LastName": None}), "application/json", **h)
    assert refusal(cleared) == (400, "REQUIRED_FIELD_MISSING", ["LastName"])
    deal = {"Name": "D", "StageName": "Prospecting", "CloseDate": "2027-01-01"}
    deal_id = post(client, f"{SF}/sobjects/Opportunity", deal, h).json()["id"]
    role = {"OpportunityId": deal_id, "ContactId": contact}
    role_id = post(client, f"{SF}/sobjects/OpportunityContactRole", role, h).json()["id"]
    body = json.dumps({"OpportunityId": deal_id})
    moved = client.patch(f"{SF}/sobjects/OpportunityContactRole/{role_id}", body,
                         "application/json", **h)  # fmt: skip
    assert refusal(moved)[:2] == (400, "INVALID_FIELD_FOR_INSERT_UPDATE")


def test_a_leadsource_outside_its_list_is_taken_because_it_is_not_restricted(client):
    response = post(client, f"{SF}/sobjects/Contact", {"LastName": "X", "LeadSource": "AI_Bot"})
    assert response.status_code == 201


def test_describe_lists_only_standard_fields_until_one_is_added(client):
    h = auth()
    names = {f["name"] for f in client.get(f"{SF}/sobjects/Contact/describe", **h).json()["fields"]}
    assert "LastName" in names and not [n for n in names if n.endswith("__c")]
    control.add_custom_field("salesforce", "strict", "Contact", "AI_Company__c", "Company")
    fields = client.get(f"{SF}/sobjects/Contact/describe", **h).json()["fields"]
    added = next(f for f in fields if f["name"] == "AI_Company__c")
    assert (added["custom"], added["type"], added["length"]) == (True, "string", 255)


def test_the_tooling_api_adds_a_field_only_for_a_user_who_may(client):
    h = auth()
    field = {"FullName": "Contact.AI_Intent__c",
             "Metadata": {"label": "AI intent", "type": "Text", "length": 255}}  # fmt: skip
    assert refusal(post(client, f"{SF}/tooling/sobjects/CustomField", field, h))[0] == 400
    control.configure("salesforce", "strict", customize_application=True)
    assert post(client, f"{SF}/tooling/sobjects/CustomField/", field, h).status_code == 201
    again = post(client, f"{SF}/tooling/sobjects/CustomField", field, h)
    assert refusal(again)[:2] == (400, "DUPLICATE_DEVELOPER_NAME")


def test_every_answer_carries_the_limit_info_header(client):
    h = auth()
    ok = client.get(f"{SF}/query", {"q": "SELECT Id FROM Contact"}, **h)
    refused = post(client, f"{SF}/sobjects/Contact", {"FirstName": "x"}, h)
    assert ok["Sforce-Limit-Info"] == "api-usage=1/100000"
    assert refused["Sforce-Limit-Info"] == "api-usage=2/100000"
    control.inject_fault("salesforce", "strict", "rate_limit")
    exhausted = client.get(f"{SF}/query", {"q": "SELECT Id FROM Contact"}, **h)
    assert refusal(exhausted)[:2] == (403, "REQUEST_LIMIT_EXCEEDED")
    assert exhausted["Sforce-Limit-Info"] == "api-usage=100000/100000"


@pytest.mark.parametrize(
    ("pattern", "value", "matched"),
    [
        (r"'a\_c'", "a_c", True),
        (r"'a\_c'", "abc", False),
        (r"'a_c'", "abc", True),
        (r"'50\%'", "50%", True),
        (r"'50\%'", "500", False),
        (r"'50%'", "500", True),
        (r"'a\\_c'", "a\\bc", True),  # an escaped backslash, then a real wildcard
        (r"'a\\_c'", "a_c", False),
    ],
)
def test_soql_like_takes_escaped_wildcards_as_themselves(pattern, value, matched):
    query = soql.parse("SELECT Id FROM Contact WHERE LastName LIKE " + pattern)  # noqa: S608 -- SOQL under test
    assert soql.matches(query, {"lastname": value, "id": "1"}) is matched


def test_soql_takes_escaped_wildcards_only_in_like_and_knows_every_documented_escape(client):
    """SOQL and SOSL Reference, "Quoted String Escape Sequences": \\_ and \\% are for LIKE
    expressions only, \\N is \\n, \\uXXXX is that character; any other backslash is an error."""
    h = auth()
    where = "SELECT Id FROM Contact WHERE LastName = "
    refused = client.get(f"{SF}/query", {"q": where + r"'a\_b'"}, **h)
    assert refusal(refused)[:2] == (400, "MALFORMED_QUERY")
    query = soql.parse(where + r"'Caf\u00e9\Nx'")
    assert query.conditions[0].value == "Café\nx"
    with pytest.raises(soql.SoqlError):
        soql.parse(where + r"'\q'")


def test_a_blocking_duplicate_rule_names_the_existing_contact(client):
    h = auth()
    first = post(client, f"{SF}/sobjects/Contact", {"LastName": "A", "Email": "a@x.example"}, h)
    assert post(client, f"{SF}/sobjects/Contact", {"LastName": "B", "Email": "A@x.example"},
                h).status_code == 201  # fmt: skip
    control.configure("salesforce", "strict", duplicate_rule="block")
    refused = post(client, f"{SF}/sobjects/Contact", {"LastName": "C", "Email": "a@X.example"}, h)
    [error] = refused.json()
    assert (refused.status_code, error["errorCode"]) == (400, "DUPLICATES_DETECTED")
    [match] = error["duplicateResult"]["matchResults"]
    assert match["matchRecords"][0]["record"]["Id"] == first.json()["id"]
