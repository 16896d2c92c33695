"""Salesforce opt-out and SOAP merge() against recorded Salesforce replies (``responses``).
The SOAP replies are XML, kept here as the SOAP API Developer Guide shows them."""

from __future__ import annotations

import pytest
import responses

from connectors.base import ConnectorError
from connectors.salesforce.client import build
from tests.connectors.crm_fixtures import sent_json

pytestmark = pytest.mark.django_db
API = "https://acme.my.salesforce.com"
SOAP = f"{API}/services/Soap/u/62.0"
V = "salesforce"
ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
            '"http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com">'
            "<soapenv:Body>{}</soapenv:Body></soapenv:Envelope>")  # fmt: skip
MERGED = ENVELOPE.format(
    "<mergeResponse><result><id>003A000001</id><mergedRecordIds>003A000002</mergedRecordIds>"
    "<success>true</success><updatedRelatedIds>00KA000009</updatedRelatedIds></result>"
    "</mergeResponse>"
)
REFUSED = ENVELOPE.format(
    "<mergeResponse><result><errors><message>entity is deleted</message>"
    "<statusCode>ENTITY_IS_DELETED</statusCode></errors><id>003A000001</id>"
    "<success>false</success></result></mergeResponse>"
)
FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
    '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com">'
    "<soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>"
    "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session"
    "</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
)


@responses.activate
def test_it_ticks_has_opted_out_of_email(recorded):
    contact = f"{API}/services/data/v62.0/sobjects/Contact/003A000001"
    row = {"attributes": {"type": "Contact"}, "Id": "003A000001", "HasOptedOutOfEmail": False}
    responses.add(responses.GET, contact, json=row)
    responses.add(responses.PATCH, contact, status=204)
    previous = build(recorded(V)).opt_out("003A000001")
    assert sent_json(responses.calls[1]) == {"HasOptedOutOfEmail": True}
    assert previous.fields == {"HasOptedOutOfEmail": "false"}


@responses.activate
def test_it_merges_through_the_soap_api_with_the_session_header(recorded):
    responses.add(responses.POST, SOAP, body=MERGED, content_type="text/xml")
    merged = build(recorded(V)).merge_contacts("003A000001", "003A000002")
    sent = responses.calls[0].request
    assert sent.headers["Content-Type"].startswith("text/xml")
    body = sent.body.decode()
    assert "<urn:sessionId>recorded-token</urn:sessionId>" in body
    assert "<urn1:Id>003A000001</urn1:Id>" in body
    assert "<urn:recordToMergeIds>003A000002</urn:recordToMergeIds>" in body
    assert merged.id == "003A000001"


@pytest.mark.parametrize(("reply", "status", "code", "permanent"), [
    (REFUSED, 200, "ENTITY_IS_DELETED", True),
    (FAULT, 500, "INVALID_SESSION_ID", False),
])  # fmt: skip
@responses.activate
def test_a_refused_merge_says_why(recorded, reply, status, code, permanent):
    responses.add(responses.POST, SOAP, body=reply, status=status, content_type="text/xml")
    with pytest.raises(ConnectorError) as refused:
        build(recorded(V)).merge_contacts("003A000001", "003A000002")
    assert (refused.value.code, refused.value.permanent) == (code, permanent)
