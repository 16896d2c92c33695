"""The CRM emulators speak each vendor's wire format: paths, bodies, errors, headers, limits."""

from __future__ import annotations

import json

import pytest

from emulators.auth import issue_token_for_tests
from emulators.crm import control, soql
from emulators.crm.salesforce import case_safe

pytestmark = pytest.mark.django_db
HS = "/emulators/hubspot/crm/v3/objects/contacts"
SF = "/emulators/salesforce/services/data/v62.0"
ZO = "/emulators/zoho/crm/v8"
PD = "/emulators/pipedrive"


def auth(provider: str, account: str, scheme: str = "Bearer") -> dict[str, str]:
    token = issue_token_for_tests(provider, account, 3600)
    return {"HTTP_AUTHORIZATION": f"{scheme} {token}"}


def post(client, url: str, body, headers) -> object:
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


# --- HubSpot ------------------------------------------------------------------------------------


def test_hubspot_refuses_a_missing_token_with_its_error_shape(client):
    response = client.get(HS)
    assert response.status_code == 401
    assert response.json()["category"] == "INVALID_AUTHENTICATION"
    assert response.json()["status"] == "error" and "correlationId" in response.json()


def test_hubspot_answers_409_with_the_existing_id(client):
    h = auth("hubspot", "p1")
    first = post(client, HS, {"properties": {"email": "a@example.com"}}, h)
    second = post(client, HS, {"properties": {"email": "A@example.com"}}, h)
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["message"] == f"Contact already exists. Existing ID: {first.json()['id']}"
    assert second.json()["category"] == "CONFLICT"


def test_hubspot_refuses_unknown_properties(client):
    response = post(client, HS, {"properties": {"shoe_size": "9"}}, auth("hubspot", "p1"))
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"


def test_hubspot_search_pages_and_stops_at_its_cap(client):
    h = auth("hubspot", "p1")
    control.seed("hubspot", "p1", "contacts", [{"lastname": "x", "email": f"{i}@e.com"}
                                                for i in range(5)])  # fmt: skip
    control.configure("hubspot", "p1", search_cap=4)
    filters = [{"filters": [{"propertyName": "lastname", "operator": "EQ", "value": "X"}]}]
    page = post(client, f"{HS}/search", {"filterGroups": filters, "limit": 2}, h).json()
    assert page["total"] == 5 and len(page["results"]) == 2
    assert page["paging"]["next"]["after"] == "2"
    beyond = post(client, f"{HS}/search", {"filterGroups": filters, "limit": 2, "after": 4}, h)
    assert beyond.status_code == 400


def test_hubspot_counts_writes_but_not_searches(client):
    h = auth("hubspot", "p1")
    post(client, f"{HS}/search", {"filterGroups": []}, h)
    post(client, HS, {"properties": {"email": "a@example.com"}}, h)
    assert control.counts("hubspot", "p1")["write_calls"] == 1
    assert control.counts("hubspot", "p1")["api_calls"] == 2


def test_hubspot_429_carries_its_rate_limit_headers(client):
    h = auth("hubspot", "p1")
    control.inject_fault("hubspot", "p1", "rate_limit", retry_after=7)
    response = client.get(HS, **h)
    assert response.status_code == 429
    assert response.json()["errorType"] == "RATE_LIMIT"
    assert response["Retry-After"] == "7"
    assert response["X-HubSpot-RateLimit-Max"] == "110"
    assert client.get(HS, **h).status_code == 200  # one fault, consumed


def test_hubspot_search_or_groups_find_any_group_oldest_first(client):
    """Email OR phone OR mobile phone, as our client asks: each group's filters all hold,
    compared case-insensitively; one record appears once; created order; other accounts and
    object types stay out."""
    h = auth("hubspot", "p1")
    ids = control.seed("hubspot", "p1", "contacts", [
        {"email": "a@e.com", "phone": "+1 555 0001", "lastname": "Email"},
        {"email": "b@e.com", "phone": "+1 555 0002", "lastname": "Phone"},
        {"email": "c@e.com", "mobilephone": "+1 555 0002", "lastname": "Mobile"},
        {"email": "d@e.com", "phone": "+1 555 0009", "lastname": "Neither"},
        {"email": "A@E.COM", "phone": "+1 555 0002", "lastname": "Both"},
        {"email": "e@e.com", "mobilephone": "+1 555 0003"},
    ])  # fmt: skip
    control.seed("hubspot", "p2", "contacts", [{"email": "a@e.com", "phone": "+1 555 0002"}])
    control.seed("hubspot", "p1", "deals", [{"dealname": "a@e.com", "phone": "+1 555 0002"}])
    groups = [{"filters": [{"propertyName": name, "operator": "EQ", "value": value}]}
              for name, value in (("email", "A@e.com"), ("phone", "+1 555 0002"),
                                  ("mobilephone", "+1 555 0002"))]  # fmt: skip
    body = {"filterGroups": groups, "properties": ["email", "lastname"], "limit": 10}
    page = post(client, f"{HS}/search", body, h).json()
    assert [r["id"] for r in page["results"]] == [ids[0], ids[1], ids[2], ids[4]]
    assert page["total"] == 4
    assert page["results"][0]["properties"]["lastname"] == "Email"
    # Within a group every filter must hold, the indexed ones and the others.
    both = [{"filters": [
        {"propertyName": "phone", "operator": "EQ", "value": "+1 555 0002"},
        {"propertyName": "lastname", "operator": "EQ", "value": "phone"},
    ]}]  # fmt: skip
    page = post(client, f"{HS}/search", {"filterGroups": both}, h).json()
    assert [r["id"] for r in page["results"]] == [ids[1]]
    # Values compare as text, case aside, whatever JSON type an import stored.
    odd = control.seed("hubspot", "p1", "contacts", [{"mobilephone": 5550003}, {"jobtitle": None},
                                                     {"company": "ACME"}])  # fmt: skip
    for name, value, expected in (("mobilephone", "5550003", odd[0]), ("jobtitle", "none", odd[1]),
                                  ("company", "acme", odd[2]), ("mobilephone", "+1 555 0003",
                                  ids[5]), ("hs_object_id", odd[2], odd[2])):  # fmt: skip
        flt = {"filters": [{"propertyName": name, "operator": "EQ", "value": value}]}
        page = post(client, f"{HS}/search", {"filterGroups": [flt]}, h).json()
        assert [r["id"] for r in page["results"]] == [expected], name


def test_hubspot_refuses_a_token_revoked_or_expired_since_its_last_call(client):
    from datetime import timedelta

    from django.utils import timezone

    from emulators.models import EmulatorGrant, EmulatorToken

    revoked, expired = auth("hubspot", "p1"), auth("hubspot", "p2")
    assert client.get(HS, **revoked).status_code == 200
    assert client.get(HS, **expired).status_code == 200
    EmulatorGrant.objects.filter(account_id="p1").update(revoked_at=timezone.now())
    EmulatorToken.objects.filter(grant__account_id="p2").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    for headers in (revoked, expired):
        response = client.get(HS, **headers)
        assert response.status_code == 401
        assert response.json()["category"] == "INVALID_AUTHENTICATION"


def test_hubspot_note_needs_an_existing_contact_of_the_same_account(client):
    h = auth("hubspot", "p1")
    contact = post(client, HS, {"properties": {"email": "a@example.com"}}, h).json()["id"]
    other = post(client, HS, {"properties": {"email": "b@example.com"}}, auth("hubspot", "p2"))
    notes = "/emulators/hubspot/crm/v3/objects/notes"

    def note(to_id: str):
        association = {"to": {"id": to_id}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}  # fmt: skip
        props = {"hs_timestamp": "2026-01-01T00:00:00.000Z", "hs_note_body": "hi"}
        return post(client, notes, {"properties": props, "associations": [association]}, h)

    created = note(contact)
    assert created.status_code == 201
    assert int(created.json()["id"]) > 100_000
    assert created.json()["properties"]["hs_note_body"] == "hi"
    assert control.record("hubspot", "p1", created.json()["id"])["links"] == {
        "associations": [{"toObjectId": contact, "typeId": 202}]
    }
    assert note(other.json()["id"]).status_code == 400
    assert note("999999999").status_code == 400


def test_accounts_never_see_each_others_records(client):
    created = post(client, HS, {"properties": {"email": "a@example.com"}}, auth("hubspot", "p1"))
    other = client.get(f"{HS}/{created.json()['id']}", **auth("hubspot", "p2"))
    assert other.status_code == 404


HSP = "/emulators/hubspot/crm/v3/properties/deals"
KEY_PROPERTY = {"name": "sb_key", "label": "Key", "type": "string", "fieldType": "text",
                "groupName": "dealinformation", "hasUniqueValue": True}  # fmt: skip


def test_hubspot_creates_a_property_once_and_reads_it_back(client):
    h = auth("hubspot", "p1")
    assert client.get(f"{HSP}/sb_key", **h).status_code == 404
    created = post(client, HSP, KEY_PROPERTY, h)
    assert created.status_code == 201 and created.json()["hasUniqueValue"] is True
    again = post(client, HSP, KEY_PROPERTY, h)
    assert again.status_code == 409 and again.json()["category"] == "OBJECT_ALREADY_EXISTS"
    read = client.get(f"{HSP}/sb_key", **h).json()
    assert (read["name"], read["type"], read["fieldType"], read["hasUniqueValue"]) == (
        "sb_key", "string", "text", True,
    )  # fmt: skip
    assert client.get(f"{HSP}/sb_key", **auth("hubspot", "p2")).status_code == 404  # per portal
    for bad in ({**KEY_PROPERTY, "name": "Bad Name"}, {**KEY_PROPERTY, "fieldType": "radio"},
                {"name": "x"}):  # fmt: skip
        assert post(client, HSP, bad, h).json()["category"] == "VALIDATION_ERROR"


def test_hubspot_upserts_by_a_unique_property_only(client):
    h = auth("hubspot", "p1")
    post(client, HSP, KEY_PROPERTY, h)
    post(client, HSP, {**KEY_PROPERTY, "name": "sb_plain", "hasUniqueValue": False}, h)
    url = "/emulators/hubspot/crm/v3/objects/deals/batch/upsert"

    def upsert(id_property: str, stage: str):
        row = {"idProperty": id_property, "id": "k-1",
               "properties": {"dealname": "D", "dealstage": stage}}  # fmt: skip
        return post(client, url, {"inputs": [row]}, h)

    first, second = upsert("sb_key", "appointmentscheduled"), upsert("sb_key", "closedwon")
    assert first.status_code == second.status_code == 200
    [made], [found] = first.json()["results"], second.json()["results"]
    assert (made["new"], found["new"], found["id"]) == (True, False, made["id"])
    assert found["properties"]["dealstage"] == "closedwon"
    assert control.counts("hubspot", "p1")["objects"] == {"deals": 1}
    refused = upsert("sb_plain", "closedwon")
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    assert upsert("dealname", "closedwon").status_code == 400


def test_hubspot_default_association_is_idempotent_and_needs_both_records(client):
    h = auth("hubspot", "p1")
    contact = post(client, HS, {"properties": {"email": "a@example.com"}}, h).json()["id"]
    body = {"properties": {"dealname": "D", "dealstage": "closedwon"}}
    deal = post(client, "/emulators/hubspot/crm/v3/objects/deals", body, h).json()["id"]
    url = f"/emulators/hubspot/crm/v4/objects/deals/{deal}/associations/default/contacts"
    for _ in range(2):
        answer = client.put(f"{url}/{contact}", **h)
        assert answer.status_code == 200
        assert answer.json()["results"][0]["associationSpec"]["associationTypeId"] == 3
    assert control.record("hubspot", "p1", deal)["links"]["associations"] == [
        {"toObjectId": contact, "typeId": 3}
    ]
    assert client.put(f"{url}/999999", **h).status_code == 404


# --- Salesforce ---------------------------------------------------------------------------


def test_salesforce_says_invalid_session_id_for_an_unknown_token(client):
    response = client.get(f"{SF}/query", {"q": "SELECT Id FROM Contact"},
                          HTTP_AUTHORIZATION="Bearer nope")  # fmt: skip
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid",
                                "errorCode": "INVALID_SESSION_ID"}]  # fmt: skip


def test_salesforce_reports_usage_and_refuses_past_the_daily_allowance(client):
    h = auth("salesforce", "org1")
    control.configure("salesforce", "org1", daily_limit=2)
    q = {"q": "SELECT Id FROM Contact"}
    assert client.get(f"{SF}/query", q, **h)["Sforce-Limit-Info"] == "api-usage=1/2"
    assert client.get(f"{SF}/query", q, **h).status_code == 200
    refused = client.get(f"{SF}/query", q, **h)
    assert refused.status_code == 403
    assert refused.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert refused["Sforce-Limit-Info"] == "api-usage=2/2"


def test_salesforce_requires_opportunity_fields(client):
    response = post(client, f"{SF}/sobjects/Opportunity", {"Name": "x"}, auth("salesforce", "o"))
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert response.json()[0]["fields"] == ["StageName", "CloseDate"]


def test_salesforce_rejects_an_injected_quote_as_malformed(client):
    q = {"q": "SELECT Id FROM Contact WHERE Email = 'a' OR '1'='1'"}
    response = client.get(f"{SF}/query", q, **auth("salesforce", "o"))
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_soql_unescapes_literals_and_binds_and_before_or():
    query = soql.parse(
        "SELECT Id FROM Contact WHERE Email = 'o\\'b\\\\' OR Phone = '1' AND Id = '2'"
    )
    assert query.conditions[0].value == "o'b\\"
    assert soql.matches(query, {"email": "O'B\\", "phone": "", "id": ""})
    assert not soql.matches(query, {"email": "", "phone": "1", "id": "3"})


def _composite(contact_id: str, all_or_none: bool = True) -> dict:
    today = "2026-12-31"
    return {
        "allOrNone": all_or_none,
        "compositeRequest": [
            {"method": "POST", "url": "/services/data/v62.0/sobjects/Opportunity",
             "referenceId": "deal",
             "body": {"Name": "Demo", "StageName": "Prospecting", "CloseDate": today}},
            {"method": "POST", "url": "/services/data/v62.0/sobjects/OpportunityContactRole",
             "referenceId": "role",
             "body": {"OpportunityId": "@{deal.id}", "ContactId": contact_id}},
        ],
    }  # fmt: skip


def _opportunities(client, h) -> int:
    q = {"q": "SELECT Id FROM Opportunity"}
    return client.get(f"{SF}/query", q, **h).json()["totalSize"]


def test_salesforce_composite_links_by_reference_in_one_call(client):
    h = auth("salesforce", "comp1")
    contact = post(client, f"{SF}/sobjects/Contact", {"LastName": "Lovelace"}, h).json()["id"]
    response = post(client, f"{SF}/composite", _composite(contact), h)
    assert response.status_code == 200
    assert response["Sforce-Limit-Info"] == "api-usage=2/100000"  # the contact, then one call
    deal, role = response.json()["compositeResponse"]
    assert (deal["httpStatusCode"], deal["referenceId"]) == (201, "deal")
    assert deal["body"]["success"] and deal["body"]["id"].startswith("006")
    assert deal["httpHeaders"]["Location"].endswith(f"/Opportunity/{deal['body']['id']}")
    assert role["httpStatusCode"] == 201 and role["body"]["id"].startswith("00K")
    q = {"q": f"SELECT OpportunityId FROM OpportunityContactRole WHERE ContactId = '{contact}'"}  # noqa: S608 -- an emulator id
    rows = client.get(f"{SF}/query", q, **h).json()["records"]
    assert [r["OpportunityId"] for r in rows] == [deal["body"]["id"]]


def test_salesforce_composite_all_or_none_rolls_every_write_back(client):
    h = auth("salesforce", "comp2")
    response = post(client, f"{SF}/composite", _composite("003000000000000AAA"), h)
    assert response.status_code == 200  # the composite itself succeeds; its parts say why not
    deal, role = response.json()["compositeResponse"]
    assert role["httpStatusCode"] == 400
    assert role["body"][0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert deal["httpStatusCode"] == 400 and deal["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert _opportunities(client, h) == 0  # the opportunity it created is gone again
    partial = post(client, f"{SF}/composite", _composite("003000000000000AAA", False), h)
    assert [r["httpStatusCode"] for r in partial.json()["compositeResponse"]] == [201, 400]
    assert _opportunities(client, h) == 1  # without allOrNone the first write stays


def test_salesforce_composite_refuses_what_it_cannot_run(client):
    h = auth("salesforce", "comp3")
    assert post(client, f"{SF}/composite", {"compositeRequest": []}, h).status_code == 400
    many = {"compositeRequest": [_composite("x")["compositeRequest"][0]] * 26}
    refused = post(client, f"{SF}/composite", many, h)
    assert refused.status_code == 400 and refused.json()[0]["errorCode"] == "LIMIT_EXCEEDED"
    bad_ref = _composite("x")
    bad_ref["compositeRequest"][1]["body"]["OpportunityId"] = "@{nothing.id}"
    answers = post(client, f"{SF}/composite", bad_ref, h).json()["compositeResponse"]
    assert answers[1]["body"][0]["errorCode"] == "INVALID_REFERENCE"


def test_salesforce_ids_carry_the_case_safe_suffix():
    assert case_safe("001D000000IqhSL") == "001D000000IqhSLIAZ"  # Salesforce's documented example


# --- Zoho -----------------------------------------------------------------------------------------


def test_zoho_wants_its_own_auth_scheme(client):
    token = issue_token_for_tests("zoho", "z1", 3600)
    wrong = client.get(
        f"{ZO}/Contacts/search", {"email": "a@b.c"}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "INVALID_TOKEN"
    right = client.get(f"{ZO}/Contacts/search", {"email": "a@b.c"},
                       HTTP_AUTHORIZATION=f"Zoho-oauthtoken {token}")  # fmt: skip
    assert right.status_code == 204 and right.content == b""


def test_zoho_answers_per_record_with_207_for_a_mix(client):
    h = auth("zoho", "z1", "Zoho-oauthtoken")
    body = {"data": [{"Last_Name": "Ok"}, {"First_Name": "No last name"}]}
    response = post(client, f"{ZO}/Contacts", body, h)
    assert response.status_code == 207
    first, second = response.json()["data"]
    assert (first["code"], first["status"]) == ("SUCCESS", "success")
    assert (second["code"], second["details"]["api_name"]) == ("MANDATORY_NOT_FOUND", "Last_Name")


def test_zoho_lists_need_fields_and_criteria_search_works(client):
    h = auth("zoho", "z1", "Zoho-oauthtoken")
    assert client.get(f"{ZO}/Contacts", **h).json()["code"] == "REQUIRED_PARAM_MISSING"
    post(client, f"{ZO}/Contacts", {"data": [{"Last_Name": "Lo", "Email": "l@e.com"}]}, h)
    found = client.get(f"{ZO}/Contacts/search", {"criteria": "(Email:equals:L@E.com)"}, **h)
    assert found.json()["data"][0]["Last_Name"] == "Lo"
    assert found.json()["info"]["more_records"] is False


# --- Pipedrive ----------------------------------------------------------------------------


def test_pipedrive_serves_v2_persons_beside_v1_notes(client):
    h = auth("pipedrive", "d1")
    body = {"name": "Ada", "emails": [{"value": "a@e.com", "primary": True}]}
    person = post(client, f"{PD}/api/v2/persons", body, h)
    person_id = person.json()["data"]["id"]
    for prefix in ("/api/v1", "/v1"):
        note = post(client, f"{PD}{prefix}/notes", {"content": "hi", "person_id": person_id}, h)
        assert note.status_code == 201 and note.json()["success"] is True
    params = {"term": "A@E.com", "fields": "email", "exact_match": "true"}
    search = client.get(f"{PD}/api/v2/persons/search", params, **h)
    assert search.json()["data"]["items"][0]["item"]["emails"] == ["a@e.com"]
    assert search.json()["additional_data"] == {"next_cursor": None}


def test_pipedrive_errors_have_its_shape(client):
    h = auth("pipedrive", "d1")
    missing = client.get(f"{PD}/api/v2/persons/999", **h)
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "error": "Person not found",
                              "error_info": "Please check developers.pipedrive.com",
                              "data": None, "additional_data": None}  # fmt: skip
    short = client.get(f"{PD}/api/v2/persons/search", {"term": "a"}, **h)
    assert short.status_code == 400


# --- control API ---------------------------------------------------------------------------------


def test_the_control_api_injects_faults_and_counts(client):
    base = "/emulators/pipedrive/_emulator/accounts/d9"
    added = client.post(f"{base}/faults", data=json.dumps({"kind": "server_error", "count": 1}),
                        content_type="application/json")  # fmt: skip
    assert added.status_code == 201
    h = auth("pipedrive", "d9")
    assert client.get(f"{PD}/api/v2/persons", **h).status_code == 500
    assert client.get(f"{PD}/api/v2/persons", **h).status_code == 200
    assert client.get(base).json() == {"objects": {}, "api_calls": 1, "write_calls": 0}
    bad = client.post(f"{base}/faults", data=json.dumps({"kind": "meteor"}),
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400


# --- what a re-run reads before creating a deal or a note -----------------------------------


def test_hubspot_lists_a_contacts_deals_and_batch_reads_them_naming_the_missing(client):
    h = auth("hubspot", "r1")
    contact = post(client, HS, {"properties": {"email": "r@example.com"}}, h).json()["id"]
    kind = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}
    link = {"to": {"id": contact}, "types": [kind]}
    deal = post(client, "/emulators/hubspot/crm/v3/objects/deals",
                {"properties": {"dealname": "D", "dealstage": "qualifiedtobuy"},
                 "associations": [link]}, h).json()["id"]  # fmt: skip
    listed = client.get(
        f"/emulators/hubspot/crm/v4/objects/contacts/{contact}/associations/deals", **h
    ).json()
    assert listed["results"][0]["toObjectId"] == int(deal)
    assert listed["results"][0]["associationTypes"][0]["typeId"] == 4
    body = {"properties": ["dealname"], "propertiesWithHistory": [],
            "inputs": [{"id": deal}, {"id": "999999"}]}  # fmt: skip
    read = post(client, "/emulators/hubspot/crm/v3/objects/deals/batch/read", body, h)
    assert read.status_code == 207
    assert [r["properties"]["dealname"] for r in read.json()["results"]] == ["D"]
    assert read.json()["errors"][0]["context"] == {"ids": ["999999"]}
    assert control.counts("hubspot", "r1")["write_calls"] == 2  # reads are not writes
    missing = client.get("/emulators/hubspot/crm/v4/objects/contacts/1/associations/deals", **h)
    assert missing.status_code == 404


def test_pipedrive_filters_deals_by_person_and_lists_a_persons_notes(client):
    h = auth("pipedrive", "r2")
    person = post(client, f"{PD}/api/v2/persons", {"name": "P"}, h).json()["data"]["id"]
    post(client, f"{PD}/api/v2/deals", {"title": "Theirs"}, h)
    post(client, f"{PD}/api/v2/deals", {"title": "Mine", "person_id": person}, h)
    deals = client.get(f"{PD}/api/v2/deals?person_id={person}", **h).json()["data"]
    assert [d["title"] for d in deals] == ["Mine"]
    assert client.get(f"{PD}/api/v2/deals?person_id=x", **h).status_code == 400
    for text in ("first", "second"):
        post(client, f"{PD}/v1/notes", {"content": text, "person_id": person}, h)
    notes = client.get(f"{PD}/api/v1/notes?person_id={person}&sort=add_time DESC", **h).json()
    assert [n["content"] for n in notes["data"]] == ["second", "first"]
    assert notes["additional_data"]["pagination"]["more_items_in_collection"] is False


def test_zoho_serves_a_contacts_notes_related_list(client):
    h = auth("zoho", "r3", "Zoho-oauthtoken")
    created = post(client, f"{ZO}/Contacts", {"data": [{"Last_Name": "Z"}]}, h).json()
    contact = created["data"][0]["details"]["id"]
    assert client.get(f"{ZO}/Contacts/{contact}/Notes?fields=Note_Content", **h).status_code == 204
    parent = {"module": {"api_name": "Contacts"}, "id": contact}
    post(client, f"{ZO}/Notes", {"data": [{"Note_Content": "hi", "Parent_Id": parent}]}, h)
    notes = client.get(f"{ZO}/Contacts/{contact}/Notes?fields=Note_Content", **h).json()
    assert [n["Note_Content"] for n in notes["data"]] == ["hi"]
    assert client.get(f"{ZO}/Contacts/{contact}/Notes", **h).json()["code"] == (
        "REQUIRED_PARAM_MISSING"
    )
