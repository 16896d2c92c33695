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
from django.views.decorators.csrf import csrf_exempt

from emulators.crm import common, soql
from emulators.crm import salesforce_fields as catalogue
from emulators.crm.models import EmuAccount, EmuRecord

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
    "Event": "00U",
}
ALIASES = {"ContentDocument": "ContentNote"}  # a ContentNote *is* a ContentDocument (069)
STAGES = catalogue.STAGES
# What Salesforce fills in when a create leaves a defaulted field out.
DEFAULTS = {
    "Task": {"Status": "Not Started", "Priority": "Normal"},
    "ContentDocumentLink": {"ShareType": "V", "Visibility": "AllUsers"},
    "OpportunityContactRole": {"IsPrimary": False},
    "Event": {"IsAllDayEvent": False, "ShowAs": "Busy"},
}
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


def _exhausted(used: int, limit: int) -> HttpResponse:
    response = _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    response["Sforce-Limit-Info"] = f"api-usage={used}/{limit}"
    return response


def _before(row: EmuAccount) -> HttpResponse | None:
    if row.api_calls >= _limit(row):
        return _exhausted(row.api_calls, _limit(row))
    return None


def _after(row: EmuAccount, response: HttpResponse) -> None:
    response["Sforce-Limit-Info"] = f"api-usage={row.api_calls}/{_limit(row)}"


STYLE = common.Style(
    vendor=VENDOR,
    auth_scheme="Bearer",
    unauthorized=lambda: _errors(401, "INVALID_SESSION_ID", "Session expired or invalid"),
    # Salesforce has no 429: an exhausted allowance is its rate limit.
    # An injected exhaustion reports the allowance used up, as the header would.
    rate_limited=lambda fault: _exhausted(DEFAULT_DAILY_LIMIT, DEFAULT_DAILY_LIMIT),
    server_error=lambda: _errors(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred."),
    before=_before,
    after=_after,
)


def _fields(account_id: str, sobject: str) -> dict[str, catalogue.SfField]:
    """The org's fields of ``sobject`` the API user can see: the standard ones (less those
    ``hidden_fields`` hides from them), plus the custom fields an admin (or a Tooling API
    call) added and whose field-level security lets the user see them."""
    known = {f.name: f for f in catalogue.STANDARD.get(sobject, ())}
    config = common.account_row(VENDOR, account_id).config
    for extra in config.get("custom_fields", {}).get(sobject, []):
        if extra.get("visible", True) and extra["name"] not in known:
            known[extra["name"]] = catalogue.custom_field(extra)
    for hidden in config.get("hidden_fields", {}).get(sobject, []):  # field-level security
        known.pop(hidden, None)
    return known


def _serialise(record: EmuRecord, version: str, wanted: list[str] | None = None) -> dict:
    url = f"/services/data/{version}/sobjects/{record.object_type}/{record.ext_id}"
    body: dict[str, Any] = {"attributes": {"type": record.object_type, "url": url}}
    names = wanted or ["Id", *(f.name for f in catalogue.STANDARD.get(record.object_type, ()))]
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
    """The data with Salesforce's spelling of each field name, or the error response Salesforce
    gives: an unknown field, a read-only one, a wrong type, an over-long text, a value outside
    a restricted picklist, or (on create) a required field left out."""
    fields = _fields(account_id, sobject)
    by_lower = {name.lower(): field for name, field in fields.items()}
    out: dict[str, Any] = {}
    for name, value in data.items():
        field = by_lower.get(name.lower())
        if field is None:
            if name.lower() in {n.lower() for n in catalogue.SYSTEM}:
                message = f"Unable to create/update fields: {name}."
                return _errors(400, "INVALID_FIELD_FOR_INSERT_UPDATE", message, [name])
            message = f"No such column '{name}' on sobject of type {sobject}"
            return _errors(400, "INVALID_FIELD", message)
        if (refusal := catalogue.problem(sobject, field, value, creating)) is not None:
            return _errors(400, refusal[0], refusal[1], [field.name])
        out[field.name] = value
    if creating:
        missing = [f.name for f in fields.values() if f.required and out.get(f.name) in (None, "")]
        if missing:
            message = f"Required fields are missing: [{', '.join(missing)}]"
            return _errors(400, "REQUIRED_FIELD_MISSING", message, missing)
    else:
        cleared = [n for n, v in out.items() if v in (None, "") and not fields[n].nillable]
        if cleared:
            message = f"Required fields are missing: [{', '.join(cleared)}]"
            return _errors(400, "REQUIRED_FIELD_MISSING", message, cleared)
    return out


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
    if sobject == "Event" and (refusal := catalogue.event_problem(checked)) is not None:
        return _errors(400, *refusal)
    if (duplicate := _duplicate(account_id, sobject, checked)) is not None:
        return duplicate
    checked = {**DEFAULTS.get(sobject, {}), **checked}
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


DUPLICATE_MESSAGE = "Use one of these records?"


def _duplicate(account_id: str, sobject: str, data: dict[str, Any]) -> HttpResponse | None:
    """An org whose Contact duplicate rule blocks (config ``duplicate_rule: "block"``) refuses
    a contact with an existing one's email: 400 DUPLICATES_DETECTED naming the match. The
    ``duplicateResult`` follows the API's DuplicateResult / MatchResult / MatchRecord types
    (simplified: the rule matches on email only)."""
    config = common.account_row(VENDOR, account_id).config
    email = str(data.get("Email") or "").strip().lower()
    if sobject != "Contact" or config.get("duplicate_rule") != "block" or not email:
        return None
    match = common.records_of(VENDOR, account_id, "Contact").filter(email_key=email).first()
    if match is None:
        return None
    url = f"/services/data/v62.0/sobjects/Contact/{match.ext_id}"
    record = {"attributes": {"type": "Contact", "url": url}, "Id": match.ext_id}
    result = {
        "allowSave": False, "duplicateRule": "Standard_Contact_Duplicate_Rule",
        "duplicateRuleEntityType": "Contact", "errorMessage": DUPLICATE_MESSAGE,
        "matchResults": [{
            "entityType": "Contact", "errors": [], "matchEngine": "FuzzyMatchEngine",
            "rule": "Standard_Contact_Match_Rule_v1_1", "size": 1, "success": True,
            "matchRecords": [{"additionalInformation": [], "fieldDiffs": [],
                              "matchConfidence": 100.0, "record": record}],
        }],
    }  # fmt: skip
    body = [{"duplicateResult": result, "errorCode": "DUPLICATES_DETECTED",
             "message": DUPLICATE_MESSAGE, "fields": []}]  # fmt: skip
    return common.json_response(body, 400)


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
    if sobject == "Event" and (refusal := catalogue.event_problem({**record.data, **checked})):
        return _errors(400, *refusal)
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
    known = {n.lower() for n in (*_fields(account_id, sobject), *catalogue.SYSTEM)}
    for name in [*query.fields, *(c.field for c in query.conditions)]:
        if name.lower() not in known:
            return _errors(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'")
    rows = common.records_of(VENDOR, account_id, sobject)
    for cond in query.conditions:  # narrow by the indexed copies when the query is a plain EQ
        if cond.op == "=" and cond.value and query.joins.count("OR") == 0:
            if cond.field.lower() == "email":
                rows = rows.filter(email_key=soql.plain(cond.value).lower())
            elif cond.field.lower() == "phone":
                rows = rows.filter(phone_key=soql.plain(cond.value))
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
    id_field = catalogue.SfField("Id", f"{sobject} ID", "id", 18, nillable=False,
                                 createable=False, updateable=False, defaulted=True)  # fmt: skip
    fields = [id_field, *_fields(account_id, sobject).values()]
    return common.json_response({
        "name": sobject, "label": sobject, "custom": False, "createable": True,
        "updateable": True, "fields": [f.describe() for f in fields],
    })  # fmt: skip


# --- Tooling API: CustomField create (what Switchboard adds on connect). The connecting user
# needs "Customize Application" (config ``customize_application``); a field made through the
# API gets no field-level security (simple-salesforce issue 621: created, yet absent from
# describe), so the describe lists it only when ``grant_new_fields`` says an admin's profile
# default gives the API user access.


@common.endpoint(STYLE)
def tooling_custom_field(request: HttpRequest, account_id: str, version: str) -> HttpResponse:
    if request.method != "POST":
        return _errors(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed")
    config = common.account_row(VENDOR, account_id).config
    if not config.get("customize_application", False):
        return _errors(400, "INSUFFICIENT_ACCESS_OR_READONLY",
                       "insufficient access rights on object id")  # fmt: skip
    body = common.body_json(request)
    full = str(body.get("FullName", "")) if isinstance(body, dict) else ""
    meta = body.get("Metadata") if isinstance(body, dict) else None
    sobject, _, name = full.partition(".")
    if not isinstance(meta, dict) or not re.fullmatch(r"[A-Za-z]\w*__c", name):
        return _errors(
            400, "FIELD_INTEGRITY_EXCEPTION", "Invalid custom field FullName or Metadata"
        )
    if meta.get("type") not in catalogue.CUSTOM_TYPES or sobject not in catalogue.STANDARD:
        return _errors(400, "FIELD_INTEGRITY_EXCEPTION", f"Invalid type or object: {full}")
    existing = config.get("custom_fields", {}).get(sobject, [])
    if any(f["name"].lower() == name.lower() for f in existing):
        message = f"There is already a field named {name[:-3]} on {sobject}."
        return _errors(400, "DUPLICATE_DEVELOPER_NAME", message)
    entry = {
        "name": name,
        "label": str(meta.get("label") or name),
        "type": meta["type"],
        "length": meta.get("length"),
        "visible": bool(config.get("grant_new_fields")),
    }
    row = common.account_row(VENDOR, account_id)
    row.config.setdefault("custom_fields", {}).setdefault(sobject, []).append(entry)
    row.save(update_fields=["config"])
    number = sum(len(v) for v in row.config["custom_fields"].values())
    return common.json_response(
        {"id": sf_id("00N", number), "success": True, "errors": [], "warnings": []}, 201
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
    match = re.fullmatch(rf"/services/data/{version}/sobjects/(\w+)/?", url)
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
                    headers = {"Location": f"{str(item['url']).rstrip('/')}/{answer['id']}"}
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


@csrf_exempt
def not_found(request: HttpRequest) -> HttpResponse:
    """Any other REST path: Salesforce's JSON error list, not a framework's HTML page."""
    return _errors(404, "NOT_FOUND", "The requested resource does not exist")


# Salesforce takes each path with or without a trailing slash (simple-salesforce creates at
# ``/sobjects/Contact/`` and queries at ``/query/?q=``).
VERSION = r"(?P<version>v\d+\.\d)"
DATA = rf"^salesforce/services/data/{VERSION}"
urlpatterns = [
    re_path(rf"{DATA}/composite/?$", composite),
    re_path(rf"{DATA}/tooling/sobjects/CustomField/?$", tooling_custom_field),
    re_path(rf"{DATA}/query/?$", query),
    re_path(rf"{DATA}/query/(?P<locator>[\w-]+)/?$", query_more),
    re_path(rf"{DATA}/sobjects/(?P<sobject>\w+)/describe/?$", describe),
    re_path(rf"{DATA}/sobjects/(?P<sobject>\w+)/?$", sobject_collection),
    re_path(rf"{DATA}/sobjects/(?P<sobject>\w+)/(?P<record_id>\w+)/?$", sobject_row),
    re_path(r"^salesforce/services/data(?:/.*)?$", not_found),
]
