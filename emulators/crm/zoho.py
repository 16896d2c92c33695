"""Zoho CRM v8 emulator: records (Contacts, Deals, Notes), search, tags, field metadata.

Wire format as Zoho documents it: bodies ``{"data":[...]}`` with a per-record
``code``/``status``/``details`` in write answers (207 when some fail), searches answer **204
with an empty body** when nothing matches, ``info.more_records`` paging, errors
``{"code","details","message","status":"error"}``, and the ``Zoho-oauthtoken`` scheme.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from emulators.crm import common
from emulators.crm.models import EmuRecord

VENDOR = "zoho"
MODULES = ("Contacts", "Deals", "Notes", "Events")
# Zoho's standard fields only (an org has no custom field it was not given): api_name ->
# (label, data_type, system_mandatory, custom). Custom fields live in the account's config
# (``custom_fields``), added by the fields API or by ``control.add_custom_field``.
FIELDS: dict[str, dict[str, tuple[str, str, bool, bool]]] = {
    "Contacts": {
        "First_Name": ("First Name", "text", False, False),
        "Last_Name": ("Last Name", "text", True, False),
        "Email": ("Email", "email", False, False),
        "Secondary_Email": ("Secondary Email", "email", False, False),
        "Phone": ("Phone", "phone", False, False),
        "Mobile": ("Mobile", "phone", False, False),
        "Title": ("Title", "text", False, False),
        "Department": ("Department", "text", False, False),
        "Lead_Source": ("Lead Source", "picklist", False, False),
        "Description": ("Description", "textarea", False, False),
        "Email_Opt_Out": ("Email Opt Out", "boolean", False, False),
    },
    "Deals": {
        "Deal_Name": ("Deal Name", "text", True, False),
        "Stage": ("Stage", "picklist", True, False),
        "Contact_Name": ("Contact Name", "lookup", False, False),
        "Amount": ("Amount", "currency", False, False),
        "Closing_Date": ("Closing Date", "date", False, False),
        "Lead_Source": ("Lead Source", "picklist", False, False),
        "Description": ("Description", "textarea", False, False),
    },
    # Events (Zoho's Events response structure and the Kaizen #8 post on participants, read
    # 2026-12-05): title and start mandatory, the end too for a timed event.
    "Events": {
        "Event_Title": ("Title", "text", True, False),
        "Start_DateTime": ("From", "datetime", True, False),
        "End_DateTime": ("To", "datetime", True, False),
        "All_day": ("All day", "boolean", False, False),
        "Venue": ("Venue", "text", False, False),
        "Description": ("Description", "textarea", False, False),
        "Who_Id": ("Contact Name", "lookup", False, False),
        "What_Id": ("Related To", "lookup", False, False),
        "Participants": ("Participants", "participants", False, False),
        "Remind_At": ("Remind At", "datetime", False, False),
    },
    "Notes": {
        "Note_Title": ("Note Title", "text", False, False),
        "Note_Content": ("Note Content", "textarea", True, False),
        "Parent_Id": ("Parent ID", "lookup", True, False),
    },
}
STAGES = (
    "Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers",
    "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
    "Closed-Lost to Competition",
)  # fmt: skip
# Zoho's default Lead Source options; an admin may add more (the account's ``lead_sources``).
LEAD_SOURCES = (
    "-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral",
    "Online Store", "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner",
    "Internal Seminar", "Trade Show", "Web Download", "Web Research", "Chat",
)  # fmt: skip
# Default maximum lengths per data type (None: not a length-limited type). Zoho refuses a value
# longer than its field's length with INVALID_DATA (v8 "Insert Records" notes, checked
# 2026-12-04); text 255 is the single-line limit, the other figures are Zoho's usual defaults
# (verify against "Field Types: Data Types and Length Limits"). The metadata says ``length``.
LENGTHS: dict[str, int | None] = {
    "text": 255, "email": 100, "phone": 30, "textarea": 32_000, "picklist": 255,
    "integer": 9, "currency": 16, "date": None, "lookup": None, "datetime": None,
    "participants": None,
}  # fmt: skip
CRITERION = re.compile(r"\((\w+):(equals|starts_with):((?:\\.|[^)\\])*)\)")


def _error(status: int, code: str, message: str, details: dict | None = None) -> HttpResponse:
    body = {"code": code, "details": details or {}, "message": message, "status": "error"}
    return common.json_response(body, status)


def no_content() -> HttpResponse:
    """Zoho's "nothing found": 204 with no body and no Content-Type (the v8 SDK picks its
    reader by Content-Type, and text/html sends an empty search to its file downloader)."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def _invalid_module() -> HttpResponse:
    return _error(400, "INVALID_MODULE", "the module name given seems to be invalid")


def _rate_limited(fault: dict[str, Any]) -> HttpResponse:
    response = _error(429, "TOO_MANY_REQUESTS", "The API request limit has been reached.")
    if fault.get("retry_after") is not None:
        response["Retry-After"] = str(fault["retry_after"])
    response["X-RATELIMIT-LIMIT"] = "100"
    response["X-RATELIMIT-REMAINING"] = "0"
    return response


STYLE = common.Style(
    vendor=VENDOR,
    auth_scheme="Zoho-oauthtoken",
    unauthorized=lambda: _error(401, "INVALID_TOKEN", "invalid oauth token"),
    rate_limited=_rate_limited,
    server_error=lambda: _error(500, "INTERNAL_ERROR", "Internal Server Error"),
    read_posts=(),
)


def _fields(account_id: str, module: str) -> dict[str, tuple[str, str, bool, bool]]:
    known = dict(FIELDS.get(module, {}))
    config = common.account_row(VENDOR, account_id).config
    for extra in config.get("custom_fields", {}).get(module, []):
        known[extra["name"]] = (extra["label"], _zoho_type(extra.get("type")), False, True)
    return known


def _zoho_type(kind: Any) -> str:
    """Zoho's data type for a custom field (``control.add_custom_field`` says "string")."""
    return "text" if kind in (None, "string") else str(kind)


def picklist(account_id: str, module: str, name: str) -> tuple[str, ...]:
    """A picklist field's options: Stage, Lead Source (with the ones an admin added)."""
    if name == "Stage":
        return STAGES
    if name == "Lead_Source":
        added = common.account_row(VENDOR, account_id).config.get("lead_sources", [])
        return (*LEAD_SOURCES, *added)
    return ()


def _serialise(record: EmuRecord, wanted: list[str] | None = None) -> dict[str, Any]:
    body = {"id": record.ext_id, **record.data}
    body["Tag"] = record.links.get("tags", []) if record.object_type != "Notes" else None
    body["Created_Time"] = record.created_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    body["Modified_Time"] = record.updated_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    if wanted:
        body = {k: v for k, v in body.items() if k == "id" or k in wanted}
    return body


def _check(account_id: str, module: str, item: Any, index: int, creating: bool):
    """The record's error entry (Zoho's per-record shape), or None when it is acceptable."""
    if not isinstance(item, dict):
        return {"code": "INVALID_DATA", "details": {"json_path": f"$.data[{index}]"},
                "message": "invalid data", "status": "error"}  # fmt: skip
    known = _fields(account_id, module)
    for name in item:
        if name not in known and name != "id":
            return {"code": "INVALID_DATA", "details": {"api_name": name,
                    "json_path": f"$.data[{index}].{name}"}, "message": "invalid data",
                    "status": "error"}  # fmt: skip
    for name, value in item.items():
        if name != "id" and (problem := _value_problem(known[name][1], value)) is not None:
            details = {"api_name": name, "json_path": f"$.data[{index}].{name}", **problem}
            return {"code": "INVALID_DATA", "details": details, "message": "invalid data",
                    "status": "error"}  # fmt: skip
    if creating:
        for name, (_, _, mandatory, _) in known.items():
            if mandatory and not item.get(name):
                return {"code": "MANDATORY_NOT_FOUND", "details": {"api_name": name,
                        "json_path": f"$.data[{index}].{name}"},
                        "message": "required field not found", "status": "error"}  # fmt: skip
    for name, value in item.items():
        kind = known.get(name, ("", "", False, False))[1]
        if kind == "picklist" and value not in picklist(account_id, module, name):
            return {"code": "INVALID_DATA", "details": {"api_name": name,
                    "json_path": f"$.data[{index}].{name}"}, "message": "invalid data",
                    "status": "error"}  # fmt: skip
    if module == "Events" and (problem := _event_problem(item, index, creating)) is not None:
        return problem
    for lookup in ("Contact_Name", "Parent_Id", "Who_Id"):
        ref = item.get(lookup)
        ref_id = str(ref.get("id", "")) if isinstance(ref, dict) else ""
        if (
            lookup in item
            and not EmuRecord.objects.filter(
                vendor=VENDOR, account_id=account_id, ext_id=ref_id
            ).exists()
        ):
            return {"code": "INVALID_DATA", "details": {"api_name": lookup, "id": ref_id},
                    "message": "the related id given seems to be invalid",
                    "status": "error"}  # fmt: skip
    return None


DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Zoho's DateTime: ISO 8601 with the offset, yyyy-MM-ddTHH:mm:ss±HH:mm (or Z).
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)")
PARTICIPANT_TYPES = ("contact", "lead", "user", "email")


def _participants_ok(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(p, dict) and p.get("type") in PARTICIPANT_TYPES
        and isinstance(p.get("participant"), str) and p["participant"]
        for p in value
    )  # fmt: skip


def _event_problem(item: dict[str, Any], index: int, creating: bool) -> dict[str, Any] | None:
    """A timed event that ends before it starts is INVALID_DATA on its end (the shape of
    Zoho's per-record errors; the exact wording for this case is not published)."""
    start, end = item.get("Start_DateTime"), item.get("End_DateTime")
    if not (isinstance(start, str) and isinstance(end, str)):
        return None
    if datetime.fromisoformat(end.replace("Z", "+00:00")) >= datetime.fromisoformat(
        start.replace("Z", "+00:00")
    ):
        return None
    return {"code": "INVALID_DATA", "details": {"api_name": "End_DateTime",
            "json_path": f"$.data[{index}].End_DateTime"}, "message": "invalid data",
            "status": "error"}  # fmt: skip


def _value_problem(kind: str, value: Any) -> dict[str, Any] | None:
    """Zoho's INVALID_DATA details for a value its field's type refuses: the wrong JSON type
    (``expected_data_type``) or too long (``maximum_length``)."""
    if value is None:
        return None  # clears the field
    if kind in ("text", "textarea", "email", "phone", "picklist"):
        ok = isinstance(value, str) and (kind != "email" or "@" in value)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "currency":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "date":
        ok = isinstance(value, str) and DATE.fullmatch(value) is not None
    elif kind == "datetime":
        ok = isinstance(value, str) and DATETIME.fullmatch(value) is not None
    elif kind == "participants":
        ok = _participants_ok(value)
    elif kind == "lookup":
        ok = isinstance(value, dict) and bool(value.get("id"))
    elif kind == "boolean":
        ok = isinstance(value, bool)
    else:
        ok = True
    if not ok:
        return {"expected_data_type": kind}
    limit = LENGTHS.get(kind)
    if limit is not None and len(str(value)) > limit:
        return {"maximum_length": limit}
    return None


def _multi(entries: list[dict[str, Any]], ok_status: int) -> HttpResponse:
    """All succeeded: ok_status; all failed: 400; a mix: 207 Multi-Status."""
    failed = sum(1 for e in entries if e["status"] == "error")
    status = ok_status if failed == 0 else 400 if failed == len(entries) else 207
    return common.json_response({"data": entries}, status)


def _success(record: EmuRecord, message: str) -> dict[str, Any]:
    stamp = record.updated_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    user = {"name": "Emulator User", "id": "4150868000000225013"}
    details = {"Modified_Time": stamp, "Modified_By": user, "Created_Time": stamp,
               "id": record.ext_id, "Created_By": user}  # fmt: skip
    return {"code": "SUCCESS", "details": details, "message": message, "status": "success"}


def _create(request: HttpRequest, account_id: str, module: str) -> HttpResponse:
    body = common.body_json(request)
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        return _error(400, "INVALID_DATA", "invalid data", {"json_path": "$.data"})
    if len(items) > 100:
        return _error(400, "LIMIT_EXCEEDED", "data limit exceeded", {"limit": 100})
    entries = []
    for index, item in enumerate(items):
        problem = _check(account_id, module, item, index, creating=True)
        if problem is None:
            problem = _duplicate(account_id, module, item, index)
        if problem is not None:
            entries.append(problem)
            continue
        record = common.create_record(
            VENDOR, account_id, module, item, lambda pk: str(4_150_868_000_000_000_000 + pk),
            email=str(item.get("Email") or ""), phone=str(item.get("Phone") or ""),
        )  # fmt: skip
        entries.append(_success(record, "record added"))
    return _multi(entries, 201)


def _duplicate(account_id: str, module: str, item: dict[str, Any], index: int):
    """DUPLICATE_DATA naming the record that already holds a unique field's value. Which
    fields are unique is the org's choice: the account's ``unique_fields`` ({module: [...]})."""
    unique = common.account_row(VENDOR, account_id).config.get("unique_fields", {})
    for name in unique.get(module, []):
        value = str(item.get(name) or "").strip().lower()
        if not value:
            continue
        rows = common.records_of(VENDOR, account_id, module)
        held = rows.filter(email_key=value) if name == "Email" else [
            r for r in rows if str(r.data.get(name) or "").strip().lower() == value]  # fmt: skip
        existing = next(iter(held), None)
        if existing is not None:
            owner = {"name": "Emulator User", "id": "4150868000000225013"}
            duplicate = {"Owner": owner, "module": {"api_name": module,
                         "id": "4150868000000002175"}, "id": existing.ext_id}  # fmt: skip
            return {"code": "DUPLICATE_DATA", "details": {"api_name": name,
                    "json_path": f"$.data[{index}].{name}", "duplicate_record": duplicate},
                    "message": "duplicate data", "status": "error"}  # fmt: skip
    return None


def _list(request: HttpRequest, account_id: str, module: str) -> HttpResponse:
    wanted = [f for f in request.GET.get("fields", "").split(",") if f]
    if not wanted:
        return _error(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                      {"param": "fields"})  # fmt: skip
    rows = common.records_of(VENDOR, account_id, module)
    return _paged(request, list(rows), wanted)


def _paged(request: HttpRequest, rows: list[EmuRecord], wanted: list[str] | None) -> HttpResponse:
    numbers = {name: request.GET.get(name, "") for name in ("per_page", "page")}
    for name, raw in numbers.items():
        if raw and (not raw.isdigit() or int(raw) < 1):
            return _error(400, "INVALID_DATA", "invalid data", {"param": name})
    per_page = min(int(numbers["per_page"] or 200), 200)  # 200 at most (v8 "Get Records")
    token = request.GET.get("page_token", "")
    page = int(token) if token.isdigit() else int(numbers["page"] or 1)
    start = (page - 1) * per_page
    chunk = rows[start : start + per_page]
    if not chunk:
        return no_content()
    more = start + per_page < len(rows)
    info: dict[str, Any] = {"per_page": per_page, "count": len(chunk), "page": page,
                            "more_records": more}  # fmt: skip
    if more:
        info["next_page_token"] = str(page + 1)
    return common.json_response({"data": [_serialise(r, wanted) for r in chunk], "info": info})


@common.endpoint(STYLE)
def module_view(request: HttpRequest, account_id: str, module: str) -> HttpResponse:
    if module not in MODULES:
        return _invalid_module()
    if request.method == "POST":
        return _create(request, account_id, module)
    if request.method == "GET":
        return _list(request, account_id, module)
    return _error(405, "INVALID_REQUEST_METHOD", "The http request method type is not valid")


@common.endpoint(STYLE)
def record_view(request: HttpRequest, account_id: str, module: str, record_id: str):
    if module not in MODULES:
        return _invalid_module()
    record = common.get_record(VENDOR, account_id, module, record_id)
    if record is None:
        if request.method == "GET":
            return no_content()
        entry = {
            "code": "INVALID_DATA",
            "details": {"id": record_id},
            "message": "the related id given seems to be invalid",
            "status": "error",
        }
        return common.json_response({"data": [entry]}, 400)
    if request.method == "GET":
        return common.json_response({"data": [_serialise(record)]})
    if request.method == "DELETE":
        entry = {"code": "SUCCESS", "details": {"id": record.ext_id}, "message": "record deleted",
                 "status": "success"}  # fmt: skip
        record.delete()
        return common.json_response({"data": [entry]})
    if request.method != "PUT":
        return _error(405, "INVALID_REQUEST_METHOD", "The http request method type is not valid")
    body = common.body_json(request)
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != 1:
        return _error(400, "INVALID_DATA", "invalid data", {"json_path": "$.data"})
    problem = _check(account_id, module, items[0], 0, creating=False)
    if problem is not None:
        return _multi([problem], 200)
    record.data.update({k: v for k, v in items[0].items() if k != "id"})
    record.updated_at = timezone.now()
    common.save_record(
        record, email=str(record.data.get("Email") or ""), phone=str(record.data.get("Phone") or "")
    )
    return _multi([_success(record, "record updated")], 200)


def _criteria(text: str) -> tuple[list[tuple[str, str, str]], str] | None:
    """Parse ``((A:equals:x)or(B:starts_with:y))`` into conditions and one join word."""
    found = [(m.group(1), m.group(2), re.sub(r"\\(.)", r"\1", m.group(3)))
             for m in CRITERION.finditer(text)]  # fmt: skip
    joins = {j.lower() for j in re.findall(r"\)\s*(and|or)\s*\(", text, re.I)}
    if not found or len(joins) > 1:
        return None
    return found, (joins.pop() if joins else "and")


def _criterion_holds(record: EmuRecord, field: str, op: str, value: str) -> bool:
    held = record.data.get(field)
    if isinstance(held, dict):  # a lookup is compared by the id it holds
        held = held.get("id")
    actual = str(held or "").lower()
    return actual == value.lower() if op == "equals" else actual.startswith(value.lower())


@common.endpoint(STYLE)
def search(request: HttpRequest, account_id: str, module: str) -> HttpResponse:
    if module not in MODULES:
        return _invalid_module()
    rows = common.records_of(VENDOR, account_id, module)
    params = request.GET
    if params.get("email"):
        found = list(rows.filter(email_key=params["email"].strip().lower()))
    elif params.get("phone"):
        # Zoho's phone search looks in every phone field of the module.
        wanted = params["phone"].strip()
        found = [r for r in rows if wanted in (r.data.get("Phone"), r.data.get("Mobile"))]
    elif params.get("criteria"):
        parsed = _criteria(params["criteria"])
        if parsed is None:
            return _error(400, "INVALID_QUERY", "invalid query formed",
                          {"reason": "invalid criteria"})  # fmt: skip
        conditions, join = parsed
        test = all if join == "and" else any
        found = [r for r in rows if test(_criterion_holds(r, *c) for c in conditions)]
    elif params.get("word"):
        word = params["word"].lower()
        found = [r for r in rows if any(word in str(v).lower() for v in r.data.values())]
    else:
        return _error(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                      {"param": "criteria"})  # fmt: skip
    wanted = [f for f in params.get("fields", "").split(",") if f] or None
    return _paged(request, found, wanted)


@common.endpoint(STYLE)
def related(request: HttpRequest, account_id: str, module: str, record_id: str, related: str):
    """A record's related list; Notes is the one served (``GET /{module}/{id}/Notes``)."""
    if module not in MODULES or related != "Notes":
        return _invalid_module()
    if request.method != "GET":
        return _error(405, "INVALID_REQUEST_METHOD", "The http request method type is not valid")
    wanted = [f for f in request.GET.get("fields", "").split(",") if f]
    if not wanted:
        return _error(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                      {"param": "fields"})  # fmt: skip
    if common.get_record(VENDOR, account_id, module, record_id) is None:
        return _error(400, "INVALID_DATA", "the related id given seems to be invalid",
                      {"id": record_id})  # fmt: skip
    rows = [
        r for r in common.records_of(VENDOR, account_id, "Notes")
        if str((r.data.get("Parent_Id") or {}).get("id", "")) == record_id
    ]  # fmt: skip
    return _paged(request, rows, wanted)


def _tag_id(name: str) -> str:
    return str(4_150_868_000_000_000_000 + int(hashlib.sha256(name.encode()).hexdigest()[:8], 16))


@common.endpoint(STYLE)
def tags(request: HttpRequest, account_id: str, module: str, record_id: str, action: str):
    if module not in MODULES:
        return _invalid_module()
    record = common.get_record(VENDOR, account_id, module, record_id)
    if action not in ("add_tags", "remove_tags"):
        return _error(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )
    body = common.body_json(request)
    names = [t.get("name", "") for t in (body or {}).get("tags", []) if isinstance(t, dict)]
    if record is None or not names:
        return _error(400, "INVALID_DATA", "invalid data", {"id": record_id})
    current = [t["name"] for t in record.links.get("tags", [])]
    if action == "add_tags":
        current += [n for n in names if n not in current]
    else:
        current = [n for n in current if n not in names]
    record.links["tags"] = [{"name": n, "id": _tag_id(n)} for n in current]
    record.save(update_fields=["links", "updated_at"])
    entry = {"code": "SUCCESS", "details": {"id": record.ext_id, "tags": record.links["tags"]},
             "message": "tags updated successfully", "status": "success"}  # fmt: skip
    return common.json_response({"data": [entry]})


def _field_meta(account_id: str, module: str, index: int, name: str, meta) -> dict[str, Any]:
    label, kind, mandatory, custom = meta
    row = {"api_name": name, "field_label": label, "display_label": label, "data_type": kind,
           "system_mandatory": mandatory, "custom_field": custom, "read_only": False,
           "id": str(4_150_868_000_000_100_000 + index), "length": LENGTHS.get(kind)}  # fmt: skip
    if kind == "picklist":
        row["pick_list_values"] = [{"display_value": v, "actual_value": v}
                                   for v in picklist(account_id, module, name)]  # fmt: skip
    return row


@common.endpoint(STYLE)
def fields(request: HttpRequest, account_id: str) -> HttpResponse:
    module = request.GET.get("module", "")
    if module not in MODULES:
        return _invalid_module()
    if request.method == "POST":
        return _create_fields(request, account_id, module)
    out = [_field_meta(account_id, module, index, name, meta)
           for index, (name, meta) in enumerate(_fields(account_id, module).items())]  # fmt: skip
    return common.json_response({"fields": out})


def _create_fields(request: HttpRequest, account_id: str, module: str) -> HttpResponse:
    """``POST /settings/fields?module=``: custom text fields; the API name is the label with
    underscores. An account configured with ``fields_admin: false`` stands for a user who
    may not customise the org (Zoho: 403 NO_PERMISSION)."""
    row = common.account_row(VENDOR, account_id)
    if row.config.get("fields_admin") is False:
        return _error(403, "NO_PERMISSION", "permission denied",
                      {"permissions": ["Crm_Implied_Customize_Zoho_CRM"]})  # fmt: skip
    body = common.body_json(request)
    items = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return _error(400, "INVALID_DATA", "invalid data", {"json_path": "$.fields"})
    known = _fields(account_id, module)
    entries, added = [], []
    for index, item in enumerate(items):
        label, kind = item.get("field_label"), item.get("data_type")
        name = re.sub(r"\W+", "_", str(label or "")).strip("_")
        if not isinstance(label, str) or not label or kind not in LENGTHS:
            entries.append({"code": "INVALID_DATA", "details": {
                "json_path": f"$.fields[{index}]"}, "message": "invalid data",
                "status": "error"})  # fmt: skip
        elif name in known or label in {m[0] for m in known.values()}:
            entries.append({"code": "DUPLICATE_DATA", "details": {"api_name": name},
                            "message": "duplicate data", "status": "error"})  # fmt: skip
        else:
            added.append({"name": name, "label": label, "type": kind})
            known[name] = (label, kind, False, True)
            entries.append({"code": "SUCCESS", "details": {
                "id": str(4_150_868_000_000_200_000 + len(known))},
                "message": "field created", "status": "success"})  # fmt: skip
    if added:
        customs = row.config.get("custom_fields", {})
        customs[module] = [*customs.get(module, []), *added]
        row.config = {**row.config, "custom_fields": customs}
        row.save(update_fields=["config"])
    failed = sum(1 for e in entries if e["status"] == "error")
    status = 201 if not failed else 400 if failed == len(entries) else 207
    return common.json_response({"fields": entries}, status)


@common.endpoint(STYLE)
def related_lists(request: HttpRequest, account_id: str) -> HttpResponse:
    """``GET /settings/related_lists?module=``: the related lists served here (a record's
    Notes). Zoho's SDK reads it before it reads a related list."""
    module = request.GET.get("module", "")
    if module not in MODULES:
        return _invalid_module()
    if module == "Notes":
        return no_content()
    notes = {"id": "4150868000000002201", "sequence_number": "1", "display_label": "Notes",
             "api_name": "Notes", "module": {"api_name": "Notes", "id": "4150868000000002187"},
             "name": "Notes", "action": None, "href": f"{module}/{{ENTITYID}}/Notes",
             "type": "default", "connectedmodule": None, "linkingmodule": None,
             "visible": True, "customize_sort": False}  # fmt: skip
    return common.json_response({"related_lists": [notes]})


urlpatterns = [
    path("zoho/crm/v8/settings/fields", fields),
    path("zoho/crm/v8/settings/related_lists", related_lists),
    path("zoho/crm/v8/<str:module>", module_view),
    path("zoho/crm/v8/<str:module>/search", search),
    path("zoho/crm/v8/<str:module>/<str:record_id>/actions/<str:action>", tags),
    path("zoho/crm/v8/<str:module>/<str:record_id>/<str:related>", related),
    path("zoho/crm/v8/<str:module>/<str:record_id>", record_view),
]
