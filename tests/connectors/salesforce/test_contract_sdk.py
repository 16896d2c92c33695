"""The Salesforce emulator driven by simple-salesforce (the de facto Python SDK; Salesforce
publishes none): every operation the product calls, and its error paths, must come back the way
the SDK expects them from Salesforce.

simple-salesforce builds ``https://<instance host>/services/data/vNN.N/…`` from the host alone,
so its session carries one transport adapter that sends those requests, unchanged otherwise, to
where the emulator is mounted on the live test server.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connectors.salesforce.client import API_VERSION, soql_quote
from emulators.auth import issue_token_for_tests
from emulators.crm import control

pytestmark = pytest.mark.django_db(transaction=True)
V = "salesforce"
INSTANCE = "https://acme.my.salesforce.com"


class ToEmulator(requests.adapters.HTTPAdapter):
    """Sends ``https://<instance>/<path>`` to ``<emulator mount>/<path>``, query kept."""

    def __init__(self, mount: str) -> None:
        super().__init__()
        self.mount = mount

    def send(self, request, **kwargs):  # type: ignore[override]
        parts = urlsplit(request.url)
        request.url = self.mount + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


@pytest.fixture
def sdk(live_server):
    """``sdk(account, token=None)`` -> a simple-salesforce client on that emulated org."""
    sessions: list[requests.Session] = []

    def connect(account: str = "org-sdk", token: str | None = None) -> Salesforce:
        session = requests.Session()
        session.mount(INSTANCE, ToEmulator(f"{live_server.url}/emulators/salesforce"))
        sessions.append(session)
        return Salesforce(
            instance_url=INSTANCE,
            session_id=token or issue_token_for_tests(V, account, 3600),
            session=session,
            version=API_VERSION.lstrip("v"),
        )

    yield connect
    for session in sessions:
        session.close()


def test_it_creates_reads_updates_and_deletes_a_contact(sdk):
    sf = sdk()
    created = sf.Contact.create({"LastName": "Lovelace", "Email": "ada@example.com",
                                 "LeadSource": "AI_Chatbot"})  # fmt: skip
    assert created["success"] is True and created["errors"] == []
    contact_id = created["id"]
    assert len(contact_id) == 18 and contact_id.startswith("003")
    read = sf.Contact.get(contact_id, params={"fields": "LastName,Email,Description"})
    assert (read["LastName"], read["Email"], read["Description"]) == (
        "Lovelace", "ada@example.com", None,
    )  # fmt: skip
    assert read["attributes"]["type"] == "Contact"
    assert sf.Contact.update(contact_id, {"FirstName": "Ada", "Title": None}) == 204
    assert sf.Contact.get(contact_id)["FirstName"] == "Ada"
    assert sf.Contact.delete(contact_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as gone:
        sf.Contact.get(contact_id)
    assert gone.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_it_queries_as_the_connector_does_and_an_empty_result_is_done(sdk):
    sf = sdk()
    sf.Contact.create({"LastName": "O'Hara", "Email": "o'hara@example.com",
                       "Phone": "+14155550100"})  # fmt: skip
    email = soql_quote("o'hara@example.com")
    soql = (
        "SELECT Id, FirstName, LastName, Email, Phone, MobilePhone FROM Contact WHERE "  # noqa: S608 -- literal through soql_quote
        f"Email = {email} LIMIT 1"
    )
    found = sf.query(soql)
    assert (found["totalSize"], found["done"]) == (1, True)
    assert found["records"][0]["LastName"] == "O'Hara"
    empty = sf.query("SELECT Id FROM Contact WHERE Email = 'nobody@example.com'")
    assert empty == {"totalSize": 0, "done": True, "records": []}


def test_query_all_follows_next_records_url(sdk):
    sf = sdk("org-pages")
    control.seed(V, "org-pages", "Contact", [{"LastName": f"P{i}"} for i in range(205)])
    rows = sf.query_all("SELECT Id, LastName FROM Contact",
                        headers={"Sforce-Query-Options": "batchSize=200"})  # fmt: skip
    assert rows["totalSize"] == 205 and len({r["Id"] for r in rows["records"]}) == 205


def test_it_describes_the_standard_contact_with_what_a_write_needs(sdk):
    fields = {f["name"]: f for f in sdk().Contact.describe()["fields"]}
    last = fields["LastName"]
    assert (last["type"], last["length"], last["nillable"], last["createable"]) == (
        "string", 80, False, True,
    )  # fmt: skip
    assert not [name for name, f in fields.items() if f["custom"]]


def test_a_composite_call_creates_the_deal_and_its_contact_role_together(sdk):
    sf = sdk()
    contact = sf.Contact.create({"LastName": "Deal"})["id"]
    root = f"/services/data/{API_VERSION}/sobjects"
    body = {"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": f"{root}/Opportunity", "referenceId": "r0",
         "body": {"Name": "Demo", "StageName": "Prospecting", "CloseDate": "2027-01-31",
                  "Amount": 99.5, "LeadSource": "AI_Chatbot"}},
        {"method": "POST", "url": f"{root}/OpportunityContactRole", "referenceId": "r1",
         "body": {"OpportunityId": "@{r0.id}", "ContactId": contact, "IsPrimary": True}},
    ]}  # fmt: skip
    results = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [201, 201]
    deal = results[0]["body"]["id"]
    assert sf.Opportunity.update(deal, {"StageName": "Qualification"}) == 204
    roles = sf.query(
        "SELECT OpportunityId FROM OpportunityContactRole WHERE ContactId = "  # noqa: S608
        + soql_quote(contact)
    )
    assert [r["OpportunityId"] for r in roles["records"]] == [deal]


def test_a_content_note_with_its_link_and_a_task_are_created(sdk):
    sf = sdk()
    contact = sf.Contact.create({"LastName": "Note"})["id"]
    content = base64.b64encode(b"<p>Hi</p>").decode()
    note = sf.ContentNote.create({"Title": "Hi", "Content": content})["id"]
    link = sf.ContentDocumentLink.create(
        {"ContentDocumentId": note, "LinkedEntityId": contact, "ShareType": "V"}
    )
    assert link["success"] is True
    task = sf.Task.create({"Subject": "Called", "WhoId": contact, "Status": "Completed"})
    assert sf.Task.get(task["id"])["Status"] == "Completed"


def test_a_refused_write_is_a_400_with_salesforces_error_list(sdk):
    sf = sdk()
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.Contact.create({"LastName": "X", "AI_Company__c": "Acme"})
    assert unknown.value.status == 400
    assert unknown.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as missing:
        sf.Contact.create({"FirstName": "X"})
    assert missing.value.content == [{
        "message": "Required fields are missing: [LastName]",
        "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"],
    }]  # fmt: skip


def test_a_custom_field_added_twice_is_refused_as_a_duplicate(sdk):
    control.configure(V, "org-tooling", customize_application=True)
    sf = sdk("org-tooling")
    field = {"FullName": "Contact.AI_Intent__c",
             "Metadata": {"label": "AI intent", "type": "Text", "length": 255}}  # fmt: skip
    assert sf.toolingexecute("sobjects/CustomField/", method="POST", data=field)["success"]
    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.toolingexecute("sobjects/CustomField/", method="POST", data=field)
    assert duplicate.value.content[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"


def test_an_expired_session_is_401_invalid_session_id(sdk):
    with pytest.raises(SalesforceExpiredSession) as expired:
        sdk(token="00Dxx!expired-or-never-issued").query("SELECT Id FROM Contact")
    assert expired.value.status == 401
    assert expired.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_a_spent_allowance_is_403_request_limit_exceeded_with_its_usage(sdk):
    control.configure(V, "org-limit", daily_limit=2)
    sf = sdk("org-limit")
    sf.query("SELECT Id FROM Contact")
    assert (sf.api_usage["api-usage"].used, sf.api_usage["api-usage"].total) == (1, 2)
    sf.query("SELECT Id FROM Contact")
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM Contact")
    assert refused.value.status == 403
    assert refused.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_an_unknown_resource_is_404_with_the_error_list(sdk):
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sdk().restful("no/such/resource")
    assert missing.value.content[0]["errorCode"] == "NOT_FOUND"


def test_a_blocked_duplicate_is_a_400_naming_the_existing_record(sdk):
    control.configure(V, "org-dupes", duplicate_rule="block")
    sf = sdk("org-dupes")
    first = sf.Contact.create({"LastName": "Ada", "Email": "ada@example.com"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.Contact.create({"LastName": "Ada", "Email": "ADA@example.com"})
    [error] = duplicate.value.content
    assert error["errorCode"] == "DUPLICATES_DETECTED"
    records = error["duplicateResult"]["matchResults"][0]["matchRecords"]
    assert [r["record"]["Id"] for r in records] == [first]
