"""Salesforce REST emulator (``/services/data/vNN.N/``): sobjects, SOQL query, describe, and
composite (create subrequests, ``@{ref.id}`` references, ``allOrNone``).

Errors are JSON arrays ``[{"message","errorCode","fields"}]``; an unknown or expired session is
401 ``INVALID_SESSION_ID``; the rolling daily allowance (configurable ``daily_limit``) runs out
as 403 ``REQUEST_LIMIT_EXCEEDED``, and every answer carries ``Sforce-Limit-Info``.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.utils import timezone

from connectors.emulators.crm import common, soql
from connectors.emulators.crm.models import EmuAccount, EmuRecord

VENDOR = "salesforce"
DEFAULT_DAILY_LIMIT = 100_000  # "e.g. Enterprise: 100k" (VENDORS.md); per account config
ID_PREFIX = {
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "ContentNote": "069",
    "ContentDocumentLink": "06A",
    "Task": "00T",
}
ALIASES = {"ContentDocument": "ContentNote"}  # a ContentNote *is* a ContentDocument (069)
# name: (label, type, required-on-create, custom)
FIELDS: dict[str, dict[str, tuple[str, str, bool, bool]]] = {
    "Contact": {
        "FirstName": ("First Name", "string", False, False),
        "LastName": ("Last Name", "string", True, False),
        "Email": ("Email", "email", False, False),
        "Phone": ("Business Phone", "phone", False, False),
        "MobilePhone": ("Mobile Phone", "phone", False, False),
        "Title": ("Title", "string", False, False),
        "Description": ("Contact Description", "textarea", False, False),
        "LeadSource": ("Lead Source", "picklist", False, False),
        "AccountId": ("Account ID", "reference", False, False),
        "HasOptedOutOfEmail": ("Email Opt Out", "boolean", False, False),
        "AI_Company__c": ("Company", "string", False, True),
        "AI_Lead_Score__c": ("AI lead score", "double", False, True),
        "AI_Intent__c": ("AI intent", "string", False, True),
        "AI_Summary__c": ("AI conversation summary", "textarea", False, True),
        "AI_Chatbot_Vendor__c": ("Chatbot vendor", "string", False, True),
        "AI_Session_Id__c": ("Chatbot session id", "string", False, True),
    },
    "Opportunity": {
        "Name": ("Name", "string", True, False),
        "StageName": ("Stage", "picklist", True, False),
        "CloseDate": ("Close Date", "date", True, False),
        "Amount": ("Amount", "currency", False, False),
        "LeadSource": ("Lead Source", "picklist", False, False),
        "Description": ("Description", "textarea", False, False),
    },
    "OpportunityContactRole": {
        "OpportunityId": ("Opportunity ID", "reference", True, False),
        "ContactId": ("Contact ID", "reference", True, False),
        "IsPrimary": ("Primary", "boolean", False, False),
        "Role": ("Role", "picklist", False, False),
    },
    "ContentNote": {
        "Title": ("Title", "string", True, False),
        "Content": ("Content", "base64", False, False),
    },
    "ContentDocumentLink": {
        "ContentDocumentId": ("ContentDocument ID", "reference", True, False),
        "LinkedEntityId": ("Linked Entity ID", "reference", True, False),
        "ShareType": ("Share Type", "picklist", True, False),
        "Visibility": ("Visibility", "picklist", False, False),
    },
    "Task": {
        "Subject": ("Subject", "combobox", False, False),
        "Description": ("Comments", "textarea", False, False),
        "WhoId": ("Name ID", "reference", False, False),
        "WhatId": ("Related To ID", "reference", False, False),
        "Status": ("Status", "picklist", True, False),
        "Priority": ("Priority", "picklist", False, False),
        "ActivityDate": ("Due Date Only", "date", False, False),
    },
}
STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
    "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won",
    "Closed Lost",
)  # fmt: skip
CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sf_id(prefix: str, number: int) -> str:
    """An 18-character Salesforce id: key prefix, pod, base62 number, case-safe checksum."""
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
        if number == 0:
            break
    return case_safe((prefix + "5g" + digits.rjust(10, "0"))[:15])


def case_safe(short: str) -> str:
    """The 18-character form of a 15-character id: one checksum letter per 5 characters."""
    suffix = ""
    for chunk in (short[0:5], short[5:10], short[10:15]):
        bits = sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")
        suffix += CHECKSUM_CHARS[bits]
    return short + suffix


def _errors(status: int, code: str, message: str, fields: list[str] | None = None) -> HttpResponse:
    entry: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        entry["fields"] = fields
    return common.json_response([entry], status)


def _limit(row: EmuAccount) -> int:
    return int(row.config.get("daily_limit", DEFAULT_DAILY_LIMIT))


def _before(row: EmuAccount) -> HttpResponse | None:
    if row.api_calls >= _limit(row):
        response = _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        response["Sforce-Limit-Info"] = f"api-usage={row.api_calls}/{_limit(row)}"
        return response
    return None


def _after(row: EmuAccount, response: HttpResponse) -> None:
    response["Sforce-Limit-Info"] = f"api-usage={row.api_calls}/{_limit(row)}"


STYLE = common.Style(
    vendor=VENDOR,
    auth_scheme="Bearer",
    unauthorized=lambda: _errors(401, "INVALID_SESSION_ID", "Session expired or invalid"),
    # Salesforce has no 429: an exhausted allowance is its rate limit.
    rate_limited=lambda fault: _errors(
        403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
    ),
    server_error=lambda: _errors(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred."),
    before=_before,
    after=_after,
)


def _fields(account_id: str, sobject: str) -> dict[str, tuple[str, str, bool, bool]]:
    known = dict(FIELDS.get(sobject, {}))
    config = common.account_row(VENDOR, account_id).config
    for extra in config.get("custom_fields", {}).get(sobject, []):
        known[extra["name"]] = (extra["label"], extra.get("type", "string"), False, True)
    return known


def _canonical(account_id: str, sobject: str, data: dict[str, Any]) -> dict[str, Any] | str:
    """Field names as Salesforce spells them, or the first unknown field's name."""
    known = {name.lower(): name for name in _fields(account_id, sobject)}
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name.lower() not in known:
            return name
        out[known[name.lower()]] = value
    return out


def _serialise(record: EmuRecord, version: str, wanted: list[str] | None = None) -> dict:
    url = f"/services/data/{version}/sobjects/{record.object_type}/{record.ext_id}"
    body: dict[str, Any] = {"attributes": {"type": record.object_type, "url": url}}
    names = wanted or ["Id", *FIELDS.get(record.object_type, {})]
    lowered = {k.lower(): v for k, v in record.data.items()}
    for name in names:
        if name.lower() == "id":
            body["Id"] = record.ext_id
        elif name.lower() in ("createddate", "systemmodstamp", "lastmodifieddate"):
            body[name] = record.updated_at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        else:
            body[name] = lowered.get(name.lower())
    return body


def _validate(account_id: str, sobject: str, data: dict[str, Any], creating: bool):
    """The canonical data, or an error response."""
    canonical = _canonical(account_id, sobject, data)
    if isinstance(canonical, str):
        return _errors(
            400, "INVALID_FIELD", f"No such column '{canonical}' on sobject of type {sobject}"
        )
    if creating:
        missing = [
            n for n, (_, _, required, _) in FIELDS.get(sobject, {}).items()
            if required and not canonical.get(n) and n != "Status"
        ]  # fmt: skip
        if missing:
            message = f"Required fields are missing: [{', '.join(missing)}]"
            return _errors(400, "REQUIRED_FIELD_MISSING", message, missing)
    stage = canonical.get("StageName")
    if stage is not None and stage not in STAGES:
        message = f"Stage: bad value for restricted picklist field: {stage}"
        return _errors(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", message, ["StageName"])
    return canonical


def _references_ok(account_id: str, data: dict[str, Any]) -> str | None:
    for name in ("ContactId", "OpportunityId", "LinkedEntityId", "ContentDocumentId", "WhoId"):
        value = data.get(name)
        if (
            value
            and not EmuRecord.objects.filter(
                vendor=VENDOR, account_id=account_id, ext_id=value
            ).exists()
        ):
            return name
    return None


def _create(request: HttpRequest, account_id: str, version: str, sobject: str) -> HttpResponse:
    return _create_from(account_id, sobject, common.body_json(request))


def _create_from(account_id: str, sobject: str, body: Any) -> HttpResponse:
    if not isinstance(body, dict):
        return _errors(400, "JSON_PARSER_ERROR", "Unexpected character in the request body")
    checked = _validate(account_id, sobject, body, creating=True)
    if isinstance(checked, HttpResponse):
        return checked
    if (bad := _references_ok(account_id, checked)) is not None:
        return _errors(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [bad])
    if sobject == "Task":
        checked.setdefault("Status", "Completed")
    record = common.create_record(
        VENDOR,
        account_id,
        sobject,
        checked,
        lambda pk: sf_id(ID_PREFIX[sobject], pk),
        email=str(checked.get("Email") or ""),
        phone=str(checked.get("Phone") or ""),
    )
    return common.json_response({"id": record.ext_id, "success": True, "errors": []}, 201)


def _served(account_id: str, sobject: str) -> bool:
    """An sobject this org has: an org with Notes turned off has no ContentNote."""
    return sobject in ID_PREFIX and (
        sobject != "ContentNote"
        or common.account_row(VENDOR, account_id).config.get("content_notes", True)
    )


@common.endpoint(STYLE)
def sobject_collection(
    request: HttpRequest, account_id: str, version: str, sobject: str
) -> HttpResponse:
    if not _served(account_id, sobject):
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")
    if request.method != "POST":
        return _errors(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed")
    return _create(request, account_id, version, sobject)


@common.endpoint(STYLE)
def sobject_row(
    request: HttpRequest, account_id: str, version: str, sobject: str, record_id: str
) -> HttpResponse:
    sobject = ALIASES.get(sobject, sobject)
    record = common.get_record(VENDOR, account_id, sobject, record_id)
    if record is None:
        gone = bool(common.account_row(VENDOR, account_id).config.get("deleted", {}).get(record_id))
        if gone:
            return _errors(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")
    if request.method == "GET":
        wanted = [f for f in request.GET.get("fields", "").split(",") if f]
        return common.json_response(_serialise(record, version, wanted or None))
    if request.method == "DELETE":
        _remember_deleted(account_id, [record.ext_id])
        _cascade(account_id, record)
        record.delete()
        return HttpResponse(status=204)
    if request.method != "PATCH":
        return _errors(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed")
    body = common.body_json(request)
    if not isinstance(body, dict):
        return _errors(400, "JSON_PARSER_ERROR", "Unexpected character in the request body")
    checked = _validate(account_id, sobject, body, creating=False)
    if isinstance(checked, HttpResponse):
        return checked
    record.data.update(checked)
    record.updated_at = timezone.now()
    common.save_record(
        record, email=str(record.data.get("Email") or ""), phone=str(record.data.get("Phone") or "")
    )
    return HttpResponse(status=204)


def _remember_deleted(account_id: str, ids: list[str]) -> None:
    """Deleted ids answer ENTITY_IS_DELETED (they sit in the recycle bin) rather than NOT_FOUND."""
    row = common.account_row(VENDOR, account_id)
    row.config.setdefault("deleted", {}).update(dict.fromkeys(ids, True))
    row.save(update_fields=["config"])


def _cascade(account_id: str, record: EmuRecord) -> None:
    """Junction rows die with either end, as at Salesforce."""
    for sobject, keys in (
        ("OpportunityContactRole", ("OpportunityId", "ContactId")),
        ("ContentDocumentLink", ("ContentDocumentId", "LinkedEntityId")),
    ):
        for row in common.records_of(VENDOR, account_id, sobject):
            if record.ext_id in (row.data.get(keys[0]), row.data.get(keys[1])):
                row.delete()


def _run_query(account_id: str, text: str) -> list[EmuRecord] | HttpResponse:
    try:
        query = soql.parse(text)
    except (soql.SoqlError, ValueError) as exc:
        return _errors(400, "MALFORMED_QUERY", str(exc))
    sobject = ALIASES.get(query.sobject, query.sobject)
    if sobject not in ID_PREFIX:
        message = f"sObject type '{query.sobject}' is not supported."
        return _errors(400, "INVALID_TYPE", message)
    known = {n.lower() for n in _fields(account_id, sobject)} | {
        "id", "createddate", "systemmodstamp", "lastmodifieddate"
    }  # fmt: skip
    for name in [*query.fields, *(c.field for c in query.conditions)]:
        if name.lower() not in known:
            return _errors(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'")
    rows = common.records_of(VENDOR, account_id, sobject)
    for cond in query.conditions:  # narrow by the indexed copies when the query is a plain EQ
        if cond.op == "=" and cond.value and query.joins.count("OR") == 0:
            if cond.field.lower() == "email":
                rows = rows.filter(email_key=cond.value.lower())
            elif cond.field.lower() == "phone":
                rows = rows.filter(phone_key=cond.value)
    found = [
        r for r in rows
        if soql.matches(query, {"id": r.ext_id, **{k.lower(): v for k, v in r.data.items()}})
    ]  # fmt: skip
    if query.descending:
        found.reverse()
    return found[: query.limit] if query.limit is not None else found


def _batch_size(request: HttpRequest) -> int:
    options = request.headers.get("Sforce-Query-Options", "")
    for part in options.split(","):
        name, _, value = part.strip().partition("=")
        if name == "batchSize" and value.isdigit():
            return max(200, min(2000, int(value)))
    return 2000


def _answer(account_id: str, version: str, text: str, offset: int, batch: int) -> HttpResponse:
    found = _run_query(account_id, text)
    if isinstance(found, HttpResponse):
        return found
    fields = soql.parse(text).fields
    page = found[offset : offset + batch]
    body: dict[str, Any] = {
        "totalSize": len(found),
        "done": offset + batch >= len(found),
        "records": [_serialise(r, version, fields) for r in page],
    }
    if not body["done"]:
        state = json.dumps({"q": text, "o": offset + batch, "b": batch}).encode()
        locator = "01g" + base64.urlsafe_b64encode(state).decode().rstrip("=")
        body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{offset + batch}"
    return common.json_response(body)


@common.endpoint(STYLE)
def query(request: HttpRequest, account_id: str, version: str) -> HttpResponse:
    text = request.GET.get("q", "")
    if not text:
        return _errors(400, "MALFORMED_QUERY", "A query string has to be specified")
    return _answer(account_id, version, text, 0, _batch_size(request))


@common.endpoint(STYLE)
def query_more(request: HttpRequest, account_id: str, version: str, locator: str) -> HttpResponse:
    encoded = locator.rsplit("-", 1)[0][3:]
    try:
        state = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except ValueError:
        return _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return _answer(account_id, version, state["q"], int(state["o"]), int(state["b"]))


@common.endpoint(STYLE)
def describe(request: HttpRequest, account_id: str, version: str, sobject: str) -> HttpResponse:
    if sobject not in ID_PREFIX:
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")
    fields = [
        {"name": "Id", "label": f"{sobject} ID", "type": "id", "nillable": False,
         "createable": False, "updateable": False, "defaultedOnCreate": True, "custom": False},
    ]  # fmt: skip
    for name, (label, kind, required, custom) in _fields(account_id, sobject).items():
        fields.append({
            "name": name, "label": label, "type": kind, "nillable": not required,
            "createable": True, "updateable": True, "defaultedOnCreate": False,
            "custom": custom,
        })  # fmt: skip
    return common.json_response(
        {"name": sobject, "label": sobject, "custom": False, "fields": fields}
    )


# --- composite (/composite): several subrequests in one call and, with allOrNone, one
# transaction. Only the subrequests the connector sends are taken: POST to sobjects/<type>.

COMPOSITE_MAX_SUBREQUESTS = 25
HALTED = [{"errorCode": "PROCESSING_HALTED",
           "message": "The transaction was rolled back since another operation in the same "
                      "transaction failed."}]  # fmt: skip
REFERENCE = re.compile(r"@\{(\w+)\.(\w+)\}")


class _RolledBack(Exception):
    """Leaves the composite's savepoint so that every subrequest's write is undone."""


def _resolve(value: Any, results: dict[str, Any]) -> Any:
    """``@{referenceId.field}`` in a subrequest body replaced by that earlier result's field;
    a KeyError names an unknown reference."""
    if isinstance(value, dict):
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    if isinstance(value, str):
        return REFERENCE.sub(lambda m: str(results[m.group(1)][m.group(2)]), value)
    return value


def _subrequest(account_id: str, version: str, item: dict, results: dict) -> HttpResponse:
    url = str(item.get("url", ""))
    match = re.fullmatch(rf"/services/data/{version}/sobjects/(\w+)", url)
    if item.get("method") != "POST" or match is None:
        return _errors(400, "NOT_FOUND", f"The requested resource does not exist: {url}")
    sobject = match.group(1)
    if not _served(account_id, sobject):
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")
    try:
        body = _resolve(item.get("body"), results)
    except KeyError as missing:
        return _errors(400, "INVALID_REFERENCE", f"Invalid reference specified: {missing}")
    return _create_from(account_id, sobject, body)


@common.endpoint(STYLE)
def composite(request: HttpRequest, account_id: str, version: str) -> HttpResponse:
    """Runs the subrequests in order; one call against the daily allowance, as Salesforce
    counts it. With ``allOrNone`` a failure rolls every write back and each other subrequest
    answers ``PROCESSING_HALTED``; without it, the rest still run."""
    if request.method != "POST":
        return _errors(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed")
    body = common.body_json(request)
    items = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return _errors(400, "JSON_PARSER_ERROR", "compositeRequest: a list of subrequests")
    if len(items) > COMPOSITE_MAX_SUBREQUESTS:
        message = f"Limit Exceeded: at most {COMPOSITE_MAX_SUBREQUESTS} subrequests"
        return _errors(400, "LIMIT_EXCEEDED", message)
    all_or_none = bool(body.get("allOrNone", False))
    answers: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            results: dict[str, Any] = {}
            for item in items:
                response = _subrequest(account_id, version, item, results)
                answer = json.loads(response.content)
                ref, status = str(item.get("referenceId", "")), response.status_code
                headers = {}
                if status == 201:
                    results[ref] = answer
                    headers = {"Location": f"{item['url']}/{answer['id']}"}
                answers.append({"body": answer, "httpHeaders": headers,
                                "httpStatusCode": status, "referenceId": ref})  # fmt: skip
                if status >= 300 and all_or_none:
                    raise _RolledBack
    except _RolledBack:
        failed = len(answers) - 1
        answers = [
            answer if i == failed else {"body": HALTED, "httpHeaders": {},
                                        "httpStatusCode": 400,
                                        "referenceId": answer["referenceId"]}
            for i, answer in enumerate(answers)
        ] + [
            {"body": HALTED, "httpHeaders": {}, "httpStatusCode": 400,
             "referenceId": str(item.get("referenceId", ""))}
            for item in items[len(answers):]
        ]  # fmt: skip
    return common.json_response({"compositeResponse": answers})


VERSION = r"(?P<version>v\d+\.\d)"
urlpatterns = [
    re_path(rf"^salesforce/services/data/{VERSION}/composite$", composite),
    re_path(rf"^salesforce/services/data/{VERSION}/query$", query),
    re_path(rf"^salesforce/services/data/{VERSION}/query/(?P<locator>[\w-]+)$", query_more),
    re_path(rf"^salesforce/services/data/{VERSION}/sobjects/(?P<sobject>\w+)/describe$", describe),
    re_path(rf"^salesforce/services/data/{VERSION}/sobjects/(?P<sobject>\w+)$", sobject_collection),
    re_path(
        rf"^salesforce/services/data/{VERSION}/sobjects/(?P<sobject>\w+)/(?P<record_id>\w+)$",
        sobject_row,
    ),
]
