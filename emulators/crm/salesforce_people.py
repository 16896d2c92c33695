"""Salesforce emulator, people: the SOAP API's ``merge()`` at ``/services/Soap/u/{version}``.

The session is the envelope's ``SessionHeader/sessionId`` (the OAuth access token); it is
checked like a REST bearer token. The master keeps its values (empty ones take the other's);
the other contact's opportunity roles, note links and tasks move to the master, and it is
deleted (then ``ENTITY_IS_DELETED``). Faults are HTTP 500 SOAP faults; a refused merge is
``success=false`` with ``errors`` (sources: connectors/salesforce/people.py).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from defusedxml import ElementTree
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from emulators.crm import common, salesforce
from emulators.crm.models import EmuAccount

VENDOR = salesforce.VENDOR
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
SOBJECT = "urn:sobject.partner.soap.sforce.com"
REPARENT = (
    ("OpportunityContactRole", "ContactId"),
    ("ContentDocumentLink", "LinkedEntityId"),
    ("Task", "WhoId"),
)


def _xml(body: str, status: int = 200) -> HttpResponse:
    envelope = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{ENV}"'
        f' xmlns="{PARTNER}"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
    )
    return HttpResponse(envelope, status=status, content_type="text/xml; charset=utf-8")


def fault(code: str, message: str) -> HttpResponse:
    """A SOAP fault: HTTP 500, unqualified ``faultcode``/``faultstring``, ``sf:`` codes."""
    envelope = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{ENV}"'
        ' xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return HttpResponse(envelope, status=500, content_type="text/xml; charset=utf-8")


def _result(master: str, merged: str = "", code: str = "", message: str = "") -> HttpResponse:
    if code:
        inner = (
            f"<errors><message>{escape(message)}</message><statusCode>{code}</statusCode>"
            f"</errors><id>{escape(master)}</id><success>false</success>"
        )
    else:
        inner = (
            f"<id>{escape(master)}</id><mergedRecordIds>{escape(merged)}</mergedRecordIds>"
            "<success>true</success>"
        )
    return _xml(f"<mergeResponse><result>{inner}</result></mergeResponse>")


SOAP_STYLE = common.Style(
    vendor=VENDOR,
    auth_scheme="Bearer",
    unauthorized=lambda: fault(
        "INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session"
    ),
    rate_limited=lambda _: fault("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    server_error=lambda: fault("UNKNOWN_EXCEPTION", "An unexpected error occurred."),
)


@csrf_exempt
def soap(request: HttpRequest, version: str) -> HttpResponse:
    """Read the envelope, then answer as the session it names (the one authentication path of
    every emulated call, fed from the SOAP header instead of ``Authorization``)."""
    try:
        root = ElementTree.fromstring(request.body or b"")
    except ElementTree.ParseError:
        return fault("INVALID_XML", "The request is not well-formed XML")
    session = root.find(f".//{{{PARTNER}}}SessionHeader/{{{PARTNER}}}sessionId")
    request.META["HTTP_AUTHORIZATION"] = (
        f"Bearer {(session.text or '').strip() if session is not None else ''}"
    )
    return _call(request, root)


@common.endpoint(SOAP_STYLE)
def _call(request: HttpRequest, account_id: str, root) -> HttpResponse:
    call = root.find(f".//{{{ENV}}}Body/{{{PARTNER}}}merge/{{{PARTNER}}}request")
    if call is None:
        return fault("INVALID_OPERATION", "Only merge() is emulated")
    master = call.find(f"{{{PARTNER}}}masterRecord")
    master_type = master.findtext(f"{{{SOBJECT}}}type", "") if master is not None else ""
    master_id = master.findtext(f"{{{SOBJECT}}}Id", "") if master is not None else ""
    others = [(e.text or "").strip() for e in call.findall(f"{{{PARTNER}}}recordToMergeIds")]
    if master_type not in ("Contact", "Lead", "Account"):
        return fault("INVALID_TYPE", f"merge is not supported for {master_type or 'no type'}")
    if not master_id or not others or len(others) > 2:
        return _result(
            master_id,
            code="INVALID_ID_FIELD",
            message="Up to two records can be merged into the master record",
        )
    if master_id in others:
        return _result(
            master_id, code="INVALID_ID_FIELD", message="Cannot merge a record with itself"
        )
    with transaction.atomic():
        main = common.get_record(VENDOR, account_id, master_type, master_id)
        victims = [common.get_record(VENDOR, account_id, master_type, o) for o in others]
        if main is None or any(v is None for v in victims):
            return _result(master_id, code="ENTITY_IS_DELETED", message="entity is deleted")
        for victim in victims:
            for name, value in victim.data.items():
                if value not in ("", None) and not main.data.get(name):
                    main.data[name] = value
            for sobject, field in REPARENT:
                for row in common.records_of(VENDOR, account_id, sobject):
                    if row.data.get(field) == victim.ext_id:
                        row.data[field] = main.ext_id
                        common.save_record(row)
            victim.delete()
        common.save_record(
            main, email=str(main.data.get("Email") or ""), phone=str(main.data.get("Phone") or "")
        )
        row = EmuAccount.objects.select_for_update().get(vendor=VENDOR, account_id=account_id)
        row.config.setdefault("deleted", {}).update(dict.fromkeys(others, True))
        row.save(update_fields=["config"])
    return _result(master_id, merged="</mergedRecordIds><mergedRecordIds>".join(others))


urlpatterns = [re_path(r"^salesforce/services/Soap/u/(?P<version>\d+\.\d)$", soap)]
