"""Pipedrive emulator: v2 persons, deals, stages and person search beside v1 notes and fields.

Wire format as Pipedrive documents it: ``{"success":true,"data":...,"additional_data":...}``,
v2 cursor paging (``additional_data.next_cursor``), v1 ``start``/``limit`` paging, errors
``{"success":false,"error","error_info","data":null,"additional_data":null}``, 429 with the
``x-ratelimit-*`` headers. v1 is served at both ``/api/v1/`` and ``/v1/``.
"""

from __future__ import annotations

import hashlib
import re
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from emulators.crm import common
from emulators.crm.models import EmuRecord
from emulators.crm.pipedrive_schema import DEAL_ADD, DEAL_UPDATE, PERSON, schema_problem

VENDOR = "pipedrive"
STAGES = ((1, "Qualified"), (2, "Contact Made"), (3, "Demo Scheduled"), (4, "Proposal Made"),
          (5, "Negotiations Started"))  # fmt: skip
LABELS = ((1, "Customer"), (2, "Hot lead"), (3, "Warm lead"), (4, "Cold lead"))
MAX_OPTIONS = 10_000  # per options field ("Working with labels")
# "Text (up to 255 characters)": Pipedrive's varchar custom field (pipedrive.readme.io, "Custom
# fields"; checked 2026-12-04).
VARCHAR_MAX = 255
V2_PAGE = 100  # v2 lists answer 100 items unless ``limit`` says otherwise (at most 500)
# Pipedrive's own person fields (``GET /v1/personFields`` of a new company): a company has a
# custom field only once someone created it (an admin in the settings, or an app through
# ``POST /api/v2/personFields``: pipedrive_fields.py). Their keys are not hashes.
STANDARD_PERSON_FIELDS = (
    (1, "name", "Name", "varchar", True), (2, "email", "Email", "varchar", False),
    (3, "phone", "Phone", "phone", False), (4, "first_name", "First name", "varchar", False),
    (5, "last_name", "Last name", "varchar", False),
    (6, "org_id", "Organization", "org", False), (7, "label_ids", "Labels", "set", False),
)  # fmt: skip
STANDARD_KEYS = frozenset(k for _, k, *_ in STANDARD_PERSON_FIELDS)


def custom_key(name: str) -> str:
    """Pipedrive names custom fields by a 40-character hash."""
    return hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()


def custom_person_fields(account_id: str) -> list[dict[str, str]]:
    """The company's custom person fields, oldest first, as ``{key, name, field_type}``: those
    an admin made (``control.add_custom_field``, keyed by a hash of the name) and those the
    field-create call made. A name that is one of Pipedrive's own keys is not a custom field."""
    config = common.account_row(VENDOR, account_id).config
    rows = config.get("custom_fields", {}).get("person", [])
    fields = []
    for row in rows:
        name = str(row.get("label") or row.get("name") or "")
        if not name or name in STANDARD_KEYS:
            continue
        field_type = str(row.get("type") or "varchar")
        field_type = "varchar" if field_type == "string" else field_type
        fields.append({"key": str(row.get("key") or custom_key(name)), "name": name,
                       "field_type": field_type})  # fmt: skip
    return fields


def _error(status: int, message: str, code: str = "") -> HttpResponse:
    body: dict[str, Any] = {"success": False, "error": message,
                            "error_info": "Please check developers.pipedrive.com",
                            "data": None, "additional_data": None}  # fmt: skip
    if code:
        body["code"] = code
    return common.json_response(body, status)


def _rate_limited(fault: dict[str, Any]) -> HttpResponse:
    response = _error(429, "Request over limit")
    response["x-ratelimit-limit"] = "80"
    response["x-ratelimit-remaining"] = "0"
    response["x-ratelimit-reset"] = str(fault.get("retry_after") or 2)
    if fault.get("retry_after") is not None:
        response["Retry-After"] = str(fault["retry_after"])
    return response


class BadParam(ValueError):
    """A query parameter Pipedrive's validation refuses; the view answers 400."""


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or int(raw) < low or (high is not None and int(raw) > high):
        bound = f"an integer from {low}" + (f" to {high}" if high is not None else "")
        raise BadParam(f"Validation failed: {name}: must be {bound}")
    return int(raw)


def _checked(view: Any) -> Any:
    """Answer a refused query parameter the way Pipedrive does, never with a 500."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BadParam as exc:
            return _error(400, str(exc), "ERR_SCHEMA_VALIDATION_FAILED")

    return wrapped


STYLE = common.Style(
    vendor=VENDOR,
    auth_scheme="Bearer",
    unauthorized=lambda: _error(401, "unauthorized access"),
    rate_limited=_rate_limited,
    server_error=lambda: _error(500, "Internal server error"),
    read_posts=(),
)


def _ok(data: Any, status: int = 200, **additional: Any) -> HttpResponse:
    body: dict[str, Any] = {"success": True, "data": data}
    if additional:
        body["additional_data"] = additional
    return common.json_response(body, status)


def _stamp(dt: Any) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _split_name(name: str) -> tuple[str | None, str | None]:
    """Pipedrive derives the read-only first and last names from ``name``."""
    first, _, last = name.strip().partition(" ")
    return first or None, last.strip() or None


def _person(record: EmuRecord) -> dict[str, Any]:
    data = record.data
    first_name, last_name = _split_name(str(data.get("name", "")))
    return {
        "id": int(record.ext_id), "name": data.get("name", ""),
        "first_name": first_name, "last_name": last_name,
        "owner_id": 1, "org_id": data.get("org_id"),
        "add_time": _stamp(record.created_at), "update_time": _stamp(record.updated_at),
        "emails": data.get("emails", []), "phones": data.get("phones", []),
        "is_deleted": False, "visible_to": 3, "label_ids": data.get("label_ids", []),
        "picture_id": None, "custom_fields": data.get("custom_fields", {}),
        "marketing_status": data.get("marketing_status", "no_consent"),
    }  # fmt: skip


def _deal(record: EmuRecord) -> dict[str, Any]:
    return {
        "id": int(record.ext_id),
        **record.data,
        "status": "open",
        "is_deleted": False,
        "add_time": _stamp(record.created_at),
        "update_time": _stamp(record.updated_at),
    }


def primary(items: Any) -> str:
    values = [i for i in items or [] if isinstance(i, dict)]
    first = next((i for i in values if i.get("primary")), values[0] if values else {})
    return str(first.get("value", ""))


def person_labels(account_id: str) -> list[tuple[int, str]]:
    """The company's person labels: Pipedrive's defaults, then the ones added through the API
    (kept in the account's config, as an admin's would be in Pipedrive's settings)."""
    added = common.account_row(VENDOR, account_id).config.get("person_labels", [])
    return [*LABELS, *((int(o["id"]), str(o["label"])) for o in added)]


# Custom field types whose value is a plain string (a "text" field holds up to 65k characters,
# the others 255: pipedrive.readme.io "Custom fields"). Other types (options, numbers with a
# currency, dates...) are not what the emulated product writes: refused here.
TEXT_TYPES = ("varchar", "varchar_auto", "text", "phone")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _person_problem(account_id: str, body: Any, creating: bool) -> str | None:
    # The schema check refuses fields, types and enumeration values (marketing_status).
    if (problem := schema_problem(PERSON, body)) is not None:
        return problem
    if creating and not body.get("name"):
        return "Validation failed: name: Parameter 'name' is required"
    for kind in ("emails", "phones"):
        if kind in body and not all(isinstance(i, dict) and i.get("value")
                                    for i in body[kind] or []):  # fmt: skip
            return f"Validation failed: {kind}: value is required"
    custom = body.get("custom_fields", {}) or {}
    types = {f["key"]: f["field_type"] for f in custom_person_fields(account_id)}
    if set(custom) - set(types):
        return "Validation failed: custom_fields: unknown field key"
    for key, value in custom.items():
        if types[key] == "double":  # v2 does not turn a string into a number (migration guide)
            if value is not None and not _is_number(value):
                return f"Validation failed: custom_fields.{key}: must be of type number"
            continue
        if types[key] not in TEXT_TYPES:
            return f"Validation failed: custom_fields.{key}: unsupported value"
        if value is not None and not isinstance(value, str):
            return f"Validation failed: custom_fields.{key}: must be of type string"
        if value is not None and len(value) > VARCHAR_MAX and types[key] != "text":
            return (f"Validation failed: custom_fields.{key}: must be at most {VARCHAR_MAX}"
                    " characters long")  # fmt: skip
    labels = set(body.get("label_ids", []) or [])
    if labels - {i for i, _ in person_labels(account_id)}:
        return "Validation failed: label_ids: unknown label"
    return None


def _v2_page(request: HttpRequest, rows, serialise) -> HttpResponse:
    limit = _int_param(request, "limit", V2_PAGE, 1, 500)
    cursor = request.GET.get("cursor", "")
    after = int(cursor) if cursor.isdigit() else 0
    chunk = list(rows.filter(pk__gt=after)[: limit + 1])
    next_cursor = str(chunk[limit - 1].pk) if len(chunk) > limit else None
    return _ok([serialise(r) for r in chunk[:limit]], next_cursor=next_cursor)


def _make(account_id: str, object_type: str, data: dict[str, Any]) -> EmuRecord:
    return common.create_record(
        VENDOR, account_id, object_type, data, lambda pk: str(pk),
        email=primary(data.get("emails")), phone=primary(data.get("phones")),
    )  # fmt: skip


@common.endpoint(STYLE)
@_checked
def persons(request: HttpRequest, account_id: str) -> HttpResponse:
    if request.method == "GET":
        return _v2_page(request, common.records_of(VENDOR, account_id, "persons"), _person)
    body = common.body_json(request)
    if (problem := _person_problem(account_id, body, creating=True)) is not None:
        return _error(400, problem, "ERR_SCHEMA_VALIDATION_FAILED")
    return _ok(_person(_make(account_id, "persons", body)))


def _update(record: EmuRecord, body: dict[str, Any]) -> None:
    if "marketing_status" in body:
        # "only allowed once to change the marketing status from an old status to a new one;
        # if the change is forbidden, the status will remain unchanged" (connectors/pipedrive/
        # people.py): a second change is answered 200 and ignored.
        wanted = body.pop("marketing_status")
        old = record.data.get("marketing_status", "no_consent")
        if wanted != old and not record.links.get("marketing_status_changed"):
            record.data["marketing_status"] = wanted
            record.links["marketing_status_changed"] = True
    custom = {**record.data.get("custom_fields", {}), **(body.pop("custom_fields", None) or {})}
    record.data.update(body)
    record.data["custom_fields"] = custom
    record.updated_at = timezone.now()
    common.save_record(record, email=primary(record.data.get("emails")),
                       phone=primary(record.data.get("phones")))  # fmt: skip


@common.endpoint(STYLE)
@_checked
def person(request: HttpRequest, account_id: str, record_id: str) -> HttpResponse:
    record = common.get_record(VENDOR, account_id, "persons", record_id)
    if record is None:
        return _error(404, "Person not found")
    if request.method == "GET":
        return _ok(_person(record))
    if request.method == "DELETE":
        record.delete()
        return _ok({"id": int(record_id)})
    body = common.body_json(request)
    if request.method != "PATCH":
        return _error(405, "Method not allowed")
    if (problem := _person_problem(account_id, body, creating=False)) is not None:
        return _error(400, problem, "ERR_SCHEMA_VALIDATION_FAILED")
    _update(record, body)
    return _ok(_person(record))


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _search_hit(record: EmuRecord, fields: set[str], term: str, exact: bool) -> bool:
    data = record.data
    values: list[str] = []
    if "name" in fields:
        values.append(str(data.get("name", "")))
    if "email" in fields:
        values += [str(e.get("value", "")) for e in data.get("emails", [])]
    if "phone" in fields:
        phones = [str(p.get("value", "")) for p in data.get("phones", [])]
        # Pipedrive matches phone numbers on their digits, whatever the formatting.
        if any(_digits(p) == _digits(term) if exact else _digits(term) in _digits(p)
               for p in phones if _digits(term)):  # fmt: skip
            return True
    term = term.lower()
    return any(v.lower() == term if exact else term in v.lower() for v in values)


@common.endpoint(STYLE)
@_checked
def person_search(request: HttpRequest, account_id: str) -> HttpResponse:
    term = request.GET.get("term", "").strip()
    exact = request.GET.get("exact_match", "false").lower() == "true"
    if len(term) < (1 if exact else 2):
        return _error(400, "Validation failed: term: must be at least 2 characters long",
                      "ERR_SCHEMA_VALIDATION_FAILED")  # fmt: skip
    fields = set(filter(None, request.GET.get("fields", "").split(","))) or {
        "name", "email", "phone"}  # fmt: skip
    rows = common.records_of(VENDOR, account_id, "persons")
    if fields == {"email"} and exact:
        rows = rows.filter(email_key=term.lower())
    hits = [r for r in rows if _search_hit(r, fields, term, exact)]
    limit = _int_param(request, "limit", V2_PAGE, 1, 500)
    cursor = request.GET.get("cursor", "")
    start = int(cursor) if cursor.isdigit() else 0
    items = [
        {"result_score": 1.0, "item": {
            "id": int(r.ext_id), "type": "person", "name": r.data.get("name", ""),
            "phones": [p.get("value") for p in r.data.get("phones", [])],
            "emails": [e.get("value") for e in r.data.get("emails", [])],
            "visible_to": 3, "owner": {"id": 1}, "organization": None, "custom_fields": [],
            "notes": [], "update_time": _stamp(r.updated_at)}}
        for r in hits[start : start + limit]
    ]  # fmt: skip
    more = start + limit < len(hits)
    return _ok({"items": items}, next_cursor=str(start + limit) if more else None)


@common.endpoint(STYLE)
@_checked
def deals(request: HttpRequest, account_id: str) -> HttpResponse:
    if request.method == "GET":
        rows = common.records_of(VENDOR, account_id, "deals")
        person_id = request.GET.get("person_id", "")
        if person_id:  # v2 list filter: only the deals of this person
            if not person_id.isdigit():
                return _error(400, "Validation failed: person_id: must be an integer",
                              "ERR_SCHEMA_VALIDATION_FAILED")  # fmt: skip
            rows = rows.filter(data__person_id=int(person_id))
        return _v2_page(request, rows, _deal)
    body = common.body_json(request)
    if (problem := schema_problem(DEAL_ADD, body)) is not None:
        return _error(400, problem, "ERR_SCHEMA_VALIDATION_FAILED")
    if not body["title"]:
        return _error(400, "Validation failed: title: Parameter 'title' is required",
                      "ERR_SCHEMA_VALIDATION_FAILED")  # fmt: skip
    if (problem := _deal_problem(account_id, body)) is not None:
        return _error(400, problem, "ERR_SCHEMA_VALIDATION_FAILED")
    body.setdefault("stage_id", stage_rows(account_id)[0][0])
    body.setdefault("pipeline_id", 1)
    return _ok(_deal(_make(account_id, "deals", body)))


def _deal_problem(account_id: str, body: dict[str, Any]) -> str | None:
    if "stage_id" in body and body["stage_id"] not in {i for i, _ in stage_rows(account_id)}:
        return "Validation failed: stage_id: stage not found"
    person_id = body.get("person_id")
    if (
        person_id is not None
        and common.get_record(VENDOR, account_id, "persons", str(person_id)) is None
    ):
        return "Validation failed: person_id: person not found"
    return None


@common.endpoint(STYLE)
@_checked
def deal(request: HttpRequest, account_id: str, record_id: str) -> HttpResponse:
    record = common.get_record(VENDOR, account_id, "deals", record_id)
    if record is None:
        return _error(404, "Deal not found")
    if request.method == "GET":
        return _ok(_deal(record))
    if request.method == "DELETE":
        record.delete()
        return _ok({"id": int(record_id)})
    body = common.body_json(request)
    if (problem := schema_problem(DEAL_UPDATE, body)) is not None:
        return _error(400, problem, "ERR_SCHEMA_VALIDATION_FAILED")
    if (problem := _deal_problem(account_id, body)) is not None:
        return _error(400, problem, "ERR_SCHEMA_VALIDATION_FAILED")
    record.data.update(body)
    record.updated_at = timezone.now()
    record.save()
    return _ok(_deal(record))


def stage_rows(account_id: str) -> list[tuple[int, str]]:
    """The company's stages: Pipedrive's defaults, then those its admin added (the account's
    ``stages`` config, ``[[id, name], ...]``)."""
    added = common.account_row(VENDOR, account_id).config.get("stages", [])
    return [*STAGES, *((int(i), str(n)) for i, n in added)]


@common.endpoint(STYLE)
@_checked
def stages(request: HttpRequest, account_id: str) -> HttpResponse:
    """``GET /api/v2/stages``: cursor pages, ``V2_PAGE`` by default, at most 500."""
    limit = _int_param(request, "limit", V2_PAGE, 1, 500)
    cursor = request.GET.get("cursor", "")
    start = int(cursor) if cursor.isdigit() else 0
    rows = stage_rows(account_id)
    data = [{"id": i, "name": n, "order_nr": i, "pipeline_id": 1, "deal_probability": 100,
             "is_deleted": False} for i, n in rows[start : start + limit]]  # fmt: skip
    more = start + limit < len(rows)
    return _ok(data, next_cursor=str(start + limit) if more else None)


def _note(record: EmuRecord) -> dict[str, Any]:
    return {
        "id": int(record.ext_id),
        **record.data,
        "active_flag": True,
        "add_time": _stamp(record.created_at).replace("T", " ").rstrip("Z"),
        "update_time": _stamp(record.updated_at).replace("T", " ").rstrip("Z"),
    }


def _note_list(request: HttpRequest, account_id: str) -> HttpResponse:
    """v1 ``GET /notes``: ``person_id``/``deal_id`` filters, ``sort`` (add_time), start/limit."""
    rows = list(common.records_of(VENDOR, account_id, "notes"))
    for key in ("person_id", "deal_id"):
        if request.GET.get(key):
            rows = [r for r in rows if str(r.data.get(key)) == request.GET[key]]
    if request.GET.get("sort", "").replace(" ", "").lower() == "add_timedesc":
        rows.reverse()
    start = _int_param(request, "start", 0, 0, None)
    limit = _int_param(request, "limit", V2_PAGE, 1, 500)
    more = start + limit < len(rows)
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return _ok([_note(r) for r in rows[start : start + limit]], pagination=pagination)


@common.endpoint(STYLE)
@_checked
def notes(request: HttpRequest, account_id: str) -> HttpResponse:
    if request.method == "GET":
        return _note_list(request, account_id)
    body = common.body_json(request)
    if not isinstance(body, dict) or not body.get("content"):
        return _error(400, "Note content is required")
    targets = [k for k in ("person_id", "deal_id", "lead_id", "org_id") if body.get(k)]
    if not targets:
        return _error(400, "Note must be attached to a deal, person, organization or lead")
    for key in targets:
        kind = {"person_id": "persons", "deal_id": "deals"}.get(key)
        if kind and common.get_record(VENDOR, account_id, kind, str(body[key])) is None:
            return _error(400, f"{key.split('_')[0].capitalize()} not found")
    record = _make(account_id, "notes", body)
    return _ok(_note(record), status=201)


@common.endpoint(STYLE)
@_checked
def note(request: HttpRequest, account_id: str, record_id: str) -> HttpResponse:
    record = common.get_record(VENDOR, account_id, "notes", record_id)
    if record is None:
        return _error(404, "Note not found")
    if request.method == "DELETE":
        record.delete()
        return _ok(True)
    return _ok(_note(record))


@common.endpoint(STYLE)
@_checked
def person_fields(request: HttpRequest, account_id: str) -> HttpResponse:
    """``GET /v1/personFields`` (``start``/``limit`` pages): Pipedrive's own fields, then the
    company's custom ones; ``POST`` is the v2 create (``pipedrive_fields``)."""
    data = [{"id": i, "key": k, "name": n, "field_type": t, "edit_flag": False,
             "mandatory_flag": m, "active_flag": True}
            for i, k, n, t, m in STANDARD_PERSON_FIELDS]  # fmt: skip
    data[-1]["options"] = [{"id": i, "label": label} for i, label in person_labels(account_id)]
    for offset, field in enumerate(custom_person_fields(account_id)):
        data.append({"id": 9000 + offset, **field, "edit_flag": True, "mandatory_flag": False,
                     "active_flag": True})  # fmt: skip
    start = _int_param(request, "start", 0, 0, None)
    limit = _int_param(request, "limit", 100, 1, 500)
    more = start + limit < len(data)
    pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return _ok(data[start : start + limit], pagination=pagination)


def scope_mismatch() -> HttpResponse:
    """Pipedrive's 403 for a call the token's scopes do not cover: ``{"success": false,
    "error": "Scope and URL mismatch", "errorCode": 403}`` (a real answer quoted in
    pipedrive/client-php issue 14, 2020-07-02; checked 2026-12-04)."""
    body = {"success": False, "error": "Scope and URL mismatch", "errorCode": 403}
    return common.json_response(body, 403)


@common.endpoint(STYLE)
@_checked
def person_field_options(request: HttpRequest, account_id: str, field_code: str) -> HttpResponse:
    """``POST /api/v2/personFields/{field_code}/options``: add options to an options field, all
    or none; answers only the added ones. Only the labels field has options here. An account
    configured with ``fields_admin: false`` stands for a company (or an app without the admin
    scope) that may not change its fields: 403."""
    if request.method != "POST":
        return _error(405, "Method not allowed")
    if field_code != "label_ids":
        return _error(404, "Field not found")
    row = common.account_row(VENDOR, account_id)
    if row.config.get("fields_admin") is False:
        return scope_mismatch()
    body = common.body_json(request)
    if (
        not isinstance(body, list)
        or not body
        or not all(
            isinstance(o, dict) and isinstance(o.get("label"), str) and 1 <= len(o["label"]) <= 255
            for o in body
        )
    ):
        return _error(400, "Validation failed: body: an array of {label} (1-255 characters)",
                      "ERR_SCHEMA_VALIDATION_FAILED")  # fmt: skip
    existing = person_labels(account_id)
    if len(existing) + len(body) > MAX_OPTIONS:
        return _error(400, f"Validation failed: a field has at most {MAX_OPTIONS} options",
                      "ERR_SCHEMA_VALIDATION_FAILED")  # fmt: skip
    start = max(i for i, _ in existing) + 1
    added = [{"id": start + n, "label": o["label"]} for n, o in enumerate(body)]
    row.config = {**row.config, "person_labels": [*row.config.get("person_labels", []), *added]}
    row.save(update_fields=["config"])
    return common.json_response({"success": True, "data": added, "additional_data": {}})


def _both_v1(route: str, view: Any) -> list[Any]:
    return [path(f"pipedrive/api/v1/{route}", view), path(f"pipedrive/v1/{route}", view)]


urlpatterns = [
    path("pipedrive/api/v2/persons", persons),
    path("pipedrive/api/v2/persons/search", person_search),
    path("pipedrive/api/v2/persons/<str:record_id>", person),
    path("pipedrive/api/v2/deals", deals),
    path("pipedrive/api/v2/deals/<str:record_id>", deal),
    path("pipedrive/api/v2/stages", stages),
    path("pipedrive/api/v2/personFields/<str:field_code>/options", person_field_options),
    *_both_v1("notes", notes),
    *_both_v1("notes/<str:record_id>", note),
    *_both_v1("personFields", person_fields),
]


# Public names for sibling emulator modules (pipedrive_people).
error_response, ok_response, person_json = _error, _ok, _person
