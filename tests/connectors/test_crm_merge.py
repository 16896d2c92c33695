"""Each CRM client merges two contacts through its emulator the vendor's way: the other
record is gone, its deal and note belong to the survivor, the survivor's empty fields take
the other's values; merging a record already gone is the vendor's permanent refusal."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError, CrmContact
from connectors.registry import client_for, deal_stage
from emulators.crm import control
from tests.connectors.crm_fixtures import emulated  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
VENDORS = ["hubspot", "salesforce", "zoho", "pipedrive"]
SURVIVOR = CrmContact(email="robert@acme.example", first_name="Robert", last_name="Smith")
OTHER = CrmContact(email="bob@home.example", first_name="Bob", last_name="Smith",
                   phone="+14155550199")  # fmt: skip


@pytest.mark.parametrize("vendor", VENDORS)
def test_it_merges_the_other_contact_into_the_survivor(emulated, vendor):  # noqa: F811
    connection, account = emulated(vendor)
    crm = client_for(connection)
    survivor = crm.create_contact(SURVIVOR, source_tag="t")
    other = crm.create_contact(OTHER, source_tag="t")
    stage = deal_stage(vendor, "booking")
    crm.create_deal(contact_id=other.id, name="Bob: whitening", stage=stage)
    crm.add_note(contact_id=other.id, body="Asked about whitening.")
    merged = crm.merge_contacts(survivor.id, other.id)
    assert merged.id == survivor.id
    assert control.record(vendor, account, other.id) is None  # the other record is gone
    assert crm.find_deal(contact_id=survivor.id, name="Bob: whitening") is not None
    assert crm.find_note(contact_id=survivor.id, body="Asked about whitening.") is not None
    assert crm.find_contact(phone=OTHER.phone).id == survivor.id  # empty field filled
    assert crm.find_contact(email=SURVIVOR.email).id == survivor.id  # the survivor's value won
    with pytest.raises(ConnectorError) as refused:
        crm.merge_contacts(survivor.id, other.id)  # gone now: the vendor refuses
    assert refused.value.permanent


def test_it_authenticates_the_salesforce_soap_merge_by_its_session_header(emulated):  # noqa: F811
    connection, _ = emulated("salesforce")
    crm = client_for(connection)
    response = crm.http.request(
        "POST", "/services/Soap/u/62.0", expect=(500,),
        headers={"Content-Type": "text/xml; charset=UTF-8"},
        data=b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv='
             b'"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>',
    )  # fmt: skip
    assert b"<faultcode>sf:INVALID_SESSION_ID</faultcode>" in response.content


def test_the_salesforce_client_reads_the_emulators_soap_fault(emulated):  # noqa: F811
    connection, _ = emulated("salesforce")
    crm = client_for(connection)
    connection.access_token = "not-a-session"  # the envelope carries the stored token
    connection.save()
    with pytest.raises(ConnectorError) as refused:
        crm.merge_contacts("003A", "003B")
    assert refused.value.code == "INVALID_SESSION_ID" and refused.value.status == 500


@pytest.mark.parametrize(
    ("vendor", "path", "method", "status"),
    [("hubspot", "/crm/v3/objects/contacts/merge", "GET", 405),
     ("hubspot", "/crm/v3/objects/contacts/merge", "PUT", 405),
     ("pipedrive", "/api/v1/persons/{id}/merge", "POST", 404),
     ("pipedrive", "/api/v1/persons/{id}/merge", "GET", 404)],
)  # fmt: skip
def test_a_merge_with_the_wrong_method_is_answered_as_the_vendor_does(
    emulated,  # noqa: F811
    vendor,
    path,
    method,
    status,
):
    """HubSpot: 405 with an empty body and Allow; Pipedrive: its 404 "Unknown method". Never
    a 400, which would read as a refusal of the body we sent."""
    connection, account = emulated(vendor)
    crm = client_for(connection)
    other = crm.create_contact(OTHER, source_tag="t")
    body = {"merge_with_id": 1, "primaryObjectId": "1", "objectIdToMerge": other.id}
    response = crm.http.request(method, path.format(id=other.id), json=body, expect=(400, 404, 405))
    assert response.status_code == status
    if vendor == "hubspot":
        assert (response.content, response.headers["Allow"]) == (b"", "POST,OPTIONS")
    else:
        assert response.json()["success"] is False and "Unknown method" in response.json()["error"]
    assert control.record(vendor, account, other.id) is not None  # nothing was merged
