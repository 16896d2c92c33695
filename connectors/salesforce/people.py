"""Salesforce: a person's e-mail opt-out and contact merge.

Opt-out is the standard Contact checkbox ``HasOptedOutOfEmail`` ("Email Opt Out"), set through
the REST sobject PATCH like any field (Salesforce object reference, Contact; checked
2026-12-04). Booleans are sent as JSON booleans.

Merge: the REST API has no merge of standard objects; the SOAP API's ``merge()`` does (Lead,
Contact, Account): a ``MergeRequest`` names the ``masterRecord`` (type and Id) and up to two
``recordToMergeIds``; the others are deleted and their related records (opportunity contact
roles, activities, notes) re-parented to the master; the master's values win unless set in the
request. The OAuth access token is the SOAP ``SessionHeader``'s ``sessionId``, posted to
``{instance_url}/services/Soap/u/{version}``; a fault comes back as HTTP 500 with
``faultcode`` (e.g. ``sf:INVALID_SESSION_ID``), a refused merge as ``success=false`` with
``errors``. Salesforce SOAP API Developer Guide, "merge()" (checked 2026-12-04).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from defusedxml import ElementTree

if TYPE_CHECKING:  # the parsed tree's type only: parsing goes through defusedxml
    from xml.etree.ElementTree import Element

from connectors import crm_support as s
from connectors.base import ConnectorError, CrmRecord
from connectors.http import VendorHttp

OPT_OUT_FIELD = "HasOptedOutOfEmail"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
SOBJECT = "urn:sobject.partner.soap.sforce.com"
MERGE_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:urn="{PARTNER}" xmlns:urn1="{SOBJECT}">'
    "<soapenv:Header><urn:SessionHeader><urn:sessionId>{session}</urn:sessionId>"
    "</urn:SessionHeader></soapenv:Header>"
    "<soapenv:Body><urn:merge><urn:request>"
    "<urn:masterRecord><urn1:type>Contact</urn1:type><urn1:Id>{master}</urn1:Id></urn:masterRecord>"
    "<urn:recordToMergeIds>{other}</urn:recordToMergeIds>"
    "</urn:request></urn:merge></soapenv:Body></soapenv:Envelope>"
)


def _text(node: Element | None, path: str) -> str:
    found = node.find(path) if node is not None else None
    return (found.text or "").strip() if found is not None else ""


def _child(node: Element | None, local: str) -> str:
    """A child's text by its local name, whatever namespace the reply put it in (a fault's
    ``faultcode`` is unqualified)."""
    for child in list(node) if node is not None else []:
        if child.tag == local or child.tag.endswith("}" + local):
            return (child.text or "").strip()
    return ""


class SalesforcePeople:
    """Opt-out and merge, mixed into ``SalesforceClient``."""

    http: VendorHttp
    root: str
    merge_rule = (
        "Salesforce keeps the master (surviving) contact's values; the other contact is "
        "deleted and its opportunity roles, activities and notes move to the master."
    )

    def merge_contacts(self, survivor_id: str, other_id: str) -> CrmRecord:
        session = self.http.tokens.access_token(self.http.connection)
        body = MERGE_ENVELOPE.format(
            session=escape(session), master=escape(survivor_id), other=escape(other_id)
        )
        version = self.root.rsplit("/v", 1)[-1]
        response = self.http.request(
            "POST", f"/services/Soap/u/{version}", data=body.encode(),
            headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'},
            expect=(200, 500),
        )  # fmt: skip
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            raise ConnectorError("salesforce: unreadable SOAP reply", status=response.status_code,
                                 code="bad_response", permanent=True) from None  # fmt: skip
        fault = root.find(f".//{{{SOAP_ENV}}}Fault")
        if fault is not None:
            code = _child(fault, "faultcode").split(":")[-1]
            raise ConnectorError(
                f"salesforce {code}: {_child(fault, 'faultstring')}", status=response.status_code,
                code=code, permanent=code != "INVALID_SESSION_ID",
            )  # fmt: skip
        result = root.find(f".//{{{PARTNER}}}result")
        if _text(result, f"{{{PARTNER}}}success") != "true":
            error = result.find(f"{{{PARTNER}}}errors") if result is not None else None
            code = _text(error, f"{{{PARTNER}}}statusCode") or "MERGE_FAILED"
            raise ConnectorError(
                f"salesforce {code}: {_text(error, f'{{{PARTNER}}}message')}",
                status=response.status_code, code=code, permanent=True,
            )  # fmt: skip
        return CrmRecord(id=_text(result, f"{{{PARTNER}}}id") or survivor_id,
                         object_type="contact")  # fmt: skip

    if TYPE_CHECKING:

        def _get(self, sobject: str, record_id: str, names: list[str]) -> dict[str, str]: ...

    def opt_out(self, record_id: str, *, email: str = "") -> CrmRecord:
        """Tick ``HasOptedOutOfEmail``; the snapshot holds its previous value."""
        current = self._get("Contact", record_id, [OPT_OUT_FIELD]).get(OPT_OUT_FIELD, "")
        if current == "true":
            return CrmRecord(id=record_id, object_type="contact", fields={})
        self.http.request(
            "PATCH", f"{self.root}/sobjects/Contact/{record_id}", json={OPT_OUT_FIELD: True}
        )
        return CrmRecord(id=record_id, object_type="contact", fields={OPT_OUT_FIELD: "false"})

    def undo_opt_out(self, record_id: str, previous: dict[str, str]) -> None:
        if OPT_OUT_FIELD not in previous:
            return
        value = s.text(previous[OPT_OUT_FIELD]) == "true"
        self.http.request(
            "PATCH", f"{self.root}/sobjects/Contact/{record_id}", json={OPT_OUT_FIELD: value},
            expect=(204, 404),
        )  # fmt: skip
