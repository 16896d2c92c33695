"""HubSpot CRM v3 emulator: objects (contacts, deals, notes), search, properties, pipelines.

Wire format as HubSpot documents it: ``{"id","properties","createdAt","updatedAt","archived"}``,
cursor paging (``paging.next.after``), errors ``{"status":"error","message","correlationId",
"category"}``, 409 "Contact already exists. Existing ID: N", search capped at 10,000 results.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from emulators import sql
from emulators.crm import common
from emulators.crm import hubspot_properties as props_
from emulators.crm import hubspot_property_views as property_views
from emulators.crm.hubspot_errors import STYLE
from emulators.crm.hubspot_errors import error as _error
from emulators.crm.models import EmuAccount, EmuRecord
from emulators.hubspot_oauth import V4_ASSOCIATIONS_SUNSET, until

VENDOR = "hubspot"
SEARCH_CAP = 10_000  # documented: search pages stop at 10,000 results
OBJECT_TYPES = ("contacts", "deals", "notes", "meetings")
UPSERT_BATCH = 100
# v4 "default" associations: the HubSpot-defined type from one object type to the other.
DEFAULT_ASSOCIATION = {
    ("deals", "contacts"): 3,
    ("notes", "contacts"): 202,
    ("meetings", "contacts"): 200,
}
DEFAULT_PROPERTIES = {"contacts": ("email", "firstname", "lastname"), "deals": ("dealname",)}


def _bad_values(account_id: str, object_type: str, raw: dict[str, Any]) -> HttpResponse | None:
    """HubSpot's 400 for property values it would refuse (``hubspot_properties.invalid``)."""
    problem = props_.invalid(account_id, object_type, raw)
    return None if problem is None else _error(400, problem, "VALIDATION_ERROR")


def _values(raw: dict[str, Any]) -> dict[str, str]:
    return {k: props_.text_of(v) for k, v in raw.items()}


def _serialise(record: EmuRecord, wanted: list[str] | None) -> dict[str, Any]:
    props = {
        "createdate": common.iso(record.created_at),
        "hs_object_id": record.ext_id,
        "lastmodifieddate": common.iso(record.updated_at),
    }
    names = wanted if wanted else DEFAULT_PROPERTIES.get(record.object_type, ())
    for name in names:
        if name in record.data:
            props[name] = record.data[name]
        elif wanted:
            props[name] = None
    return {
        "id": record.ext_id,
        "properties": props,
        "createdAt": common.iso(record.created_at),
        "updatedAt": common.iso(record.updated_at),
        "archived": False,
    }


def _existing_contact(account_id: str, email: str, exclude: str = "") -> str | None:
    """The id of the oldest other contact with this email, if any."""
    if not email:
        return None
    q = connection.ops.quote_name
    row = sql.fetchone(
        f"SELECT {q('ext_id')} FROM {sql.table(EmuRecord)} WHERE {q('vendor')} = %s"  # noqa: S608 -- names quoted from the model
        f" AND {q('account_id')} = %s AND {q('object_type')} = %s AND {q('email_key')} = %s"
        f" AND {q('ext_id')} <> %s ORDER BY {q('id')} LIMIT 1",
        [VENDOR, account_id, "contacts", email.lower(), exclude],
    )
    return row[0] if row else None


def _wanted(request: HttpRequest) -> list[str]:
    """The properties a read asks for: ``properties`` may be repeated (HubSpot's SDK sends
    ``?properties=a&properties=b``) and each may hold a comma-separated list."""
    names = [n for v in request.GET.getlist("properties") for n in v.split(",")]
    return [n for n in dict.fromkeys(names) if n]


ASSOCIATION_CATEGORIES = ("HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED")


def _association_ok(item: Any) -> bool:
    """HubSpot's ``PublicAssociationsForObject``: ``to.id`` and ``types``, each type with an
    ``associationCategory`` of its enumeration and an integer ``associationTypeId``."""
    if not isinstance(item, dict) or not isinstance(item.get("to"), dict):
        return False
    types = item.get("types")
    return bool(types) and isinstance(types, list) and all(
        isinstance(t, dict) and t.get("associationCategory") in ASSOCIATION_CATEGORIES
        and isinstance(t.get("associationTypeId"), int) and not isinstance(
            t.get("associationTypeId"), bool)
        for t in types
    )  # fmt: skip


def _associations(account_id: str, raw: Any, object_type: str = "") -> list[dict[str, Any]] | None:
    """The links to store, or None when HubSpot would refuse one: a malformed entry, a target
    that does not exist, or a HubSpot-defined type id that is not the one for the pair (a
    meeting→contact association is type 200, not a note's 202)."""
    links = []
    q = connection.ops.quote_name
    if raw is not None and not isinstance(raw, list):
        return None
    for item in raw or []:
        if not _association_ok(item):
            return None
        to_id = str((item.get("to") or {}).get("id", ""))
        target = sql.fetchone(
            f"SELECT {q('object_type')} FROM {sql.table(EmuRecord)} WHERE {q('vendor')} = %s"  # noqa: S608 -- names quoted from the model
            f" AND {q('account_id')} = %s AND {q('ext_id')} = %s",
            [VENDOR, account_id, to_id],
        )
        if target is None:
            return None
        expected = DEFAULT_ASSOCIATION.get((object_type, target[0]))
        for kind in item.get("types") or []:
            defined = kind.get("associationCategory") == "HUBSPOT_DEFINED"
            if defined and expected is not None and kind.get("associationTypeId") != expected:
                return None
            links.append({"toObjectId": to_id, "typeId": kind.get("associationTypeId")})
    return links


def _create(request: HttpRequest, account_id: str, object_type: str) -> HttpResponse:
    body = common.body_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
    if (refused := _bad_values(account_id, object_type, body["properties"])) is not None:
        return refused
    props = _values(body["properties"])
    if object_type == "notes" and not props.get("hs_timestamp"):
        return _error(400, "hs_timestamp is required", "VALIDATION_ERROR")
    if object_type == "meetings" and not props.get("hs_timestamp"):
        # "When the property value is missing, the value will default to
        # hs_meeting_start_time" (meetings guide, read 2026-12-05); with neither, refused.
        if not props.get("hs_meeting_start_time"):
            return _error(400, "hs_timestamp is required", "VALIDATION_ERROR")
        props["hs_timestamp"] = props["hs_meeting_start_time"]
    if object_type == "contacts" and (dup := _existing_contact(account_id, props.get("email", ""))):
        return _error(409, f"Contact already exists. Existing ID: {dup}", "CONFLICT")
    links = _associations(account_id, body.get("associations"), object_type)
    if links is None:
        return _error(400, "One or more associations are invalid", "VALIDATION_ERROR")
    if object_type == "deals":
        props.setdefault("pipeline", "default")
    record = common.create_record(
        VENDOR,
        account_id,
        object_type,
        props,
        lambda pk: str(100_000 + pk),
        email=props.get("email", ""),
        phone=props.get("phone", ""),
        links={"associations": links},
    )
    return common.json_response(_serialise(record, list(props)), 201)


def _list(request: HttpRequest, account_id: str, object_type: str) -> HttpResponse:
    limit = min(int(request.GET.get("limit", "10") or 10), 100)
    after = int(request.GET.get("after", "0") or 0)
    wanted = _wanted(request)
    rows = list(
        common.records_of(VENDOR, account_id, object_type).filter(pk__gt=after)[: limit + 1]
    )
    body: dict[str, Any] = {"results": [_serialise(r, wanted) for r in rows[:limit]]}
    if len(rows) > limit:
        cursor = str(rows[limit - 1].pk)
        body["paging"] = {"next": {"after": cursor, "link": f"{request.path}?after={cursor}"}}
    return common.json_response(body)


@common.endpoint(STYLE)
def objects(request: HttpRequest, account_id: str, object_type: str) -> HttpResponse:
    if object_type not in OBJECT_TYPES:
        return _error(404, f"Unable to infer object type from: {object_type}", "OBJECT_NOT_FOUND")
    if request.method == "POST":
        return _create(request, account_id, object_type)
    if request.method == "GET":
        return _list(request, account_id, object_type)
    return _error(405, "Method not allowed", "VALIDATION_ERROR")


@common.endpoint(STYLE)
def one_object(
    request: HttpRequest, account_id: str, object_type: str, record_id: str
) -> HttpResponse:
    record = common.get_record(VENDOR, account_id, object_type, record_id)
    if record is None:
        if request.method == "DELETE":
            return HttpResponse(status=204)  # archiving is idempotent at HubSpot
        return _error(404, "resource not found", "OBJECT_NOT_FOUND")
    if request.method == "GET":
        wanted = _wanted(request)
        return common.json_response(_serialise(record, wanted))
    if request.method == "DELETE":
        record.delete()
        return HttpResponse(status=204)
    if request.method != "PATCH":
        return _error(405, "Method not allowed", "VALIDATION_ERROR")
    return _update(request, account_id, record)


def _update(request: HttpRequest, account_id: str, record: EmuRecord) -> HttpResponse:
    body = common.body_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
    if (refused := _bad_values(account_id, record.object_type, body["properties"])) is not None:
        return refused
    props = _values(body["properties"])
    email = props.get("email")
    if email and (dup := _existing_contact(account_id, email, exclude=record.ext_id)):
        return _error(409, f"Contact already exists. Existing ID: {dup}", "CONFLICT")
    record.data.update(props)
    record.updated_at = timezone.now()
    common.save_record(
        record, email=record.data.get("email", ""), phone=record.data.get("phone", "")
    )
    return common.json_response(_serialise(record, list(props)))


def _matches(record: EmuRecord, flt: dict[str, Any]) -> bool:
    name, op = flt.get("propertyName", ""), flt.get("operator", "EQ")
    value = record.data.get(name, record.ext_id if name == "hs_object_id" else "")
    wanted = str(flt.get("value", "")).lower()
    if op == "EQ":
        return str(value).lower() == wanted
    if op == "NEQ":
        return str(value).lower() != wanted
    if op == "HAS_PROPERTY":
        return bool(value)
    if op == "NOT_HAS_PROPERTY":
        return not value
    if op == "IN":
        return str(value).lower() in {str(v).lower() for v in flt.get("values", [])}
    return False


# The indexed copies an EQ filter on these properties narrows by, and how the key is made.
INDEXED = {"email": ("email_key", str.lower), "phone": ("phone_key", str.strip)}
PLAIN_NAME = re.compile(r"\w+", re.ASCII)


def _narrowing(filters: list[dict[str, Any]]) -> tuple[list[str], list[Any], list[tuple[str, str]]]:
    """What every record matching all of a group's filters has, as SQL conditions with their
    parameters, and the indexed-copy keys among them (checked again on each row read).

    An EQ filter on an indexed property needs that key; an EQ filter with a non-empty value on
    another property needs the property to be present, since a missing one compares as "".
    """
    q = connection.ops.quote_name
    conditions: list[str] = []
    params: list[Any] = []
    keys: list[tuple[str, str]] = []
    for flt in filters:
        name, value = flt.get("propertyName"), str(flt.get("value", ""))
        if flt.get("operator", "EQ") != "EQ":
            continue
        if name in INDEXED:
            column, make_key = INDEXED[name]
            keys.append((column, make_key(value)))
            conditions.append(f"{q(column)} = %s")
            params.append(make_key(value))
        elif (
            value
            and isinstance(name, str)
            and name != "hs_object_id"
            and PLAIN_NAME.fullmatch(name)
            and (has_key := sql.json_has_key(q("data"), name)) is not None
        ):
            conditions.append(has_key[0])
            params.append(has_key[1])
    return conditions, params, keys


def _candidates(account_id: str, object_type: str, groups: list[list[dict[str, Any]]]):
    """Every group's candidates, read in one statement, oldest first: the rows that meet all of
    the group's narrowing conditions (all rows when a group has none).

    Yields (record, index of each group it is a candidate for); the filters decide in Python.
    """
    narrowing = [_narrowing(filters) for filters in groups]
    q = connection.ops.quote_name
    where = f"{q('vendor')} = %s AND {q('account_id')} = %s AND {q('object_type')} = %s"
    params: list[Any] = [VENDOR, account_id, object_type]
    if all(conditions for conditions, _, _ in narrowing):
        where += " AND ((" + ") OR (".join(" AND ".join(c) for c, _, _ in narrowing) + "))"
        params.extend(p for _, group_params, _ in narrowing for p in group_params)
    fields = sql.select_list(EmuRecord)
    for values in sql.fetchall(
        f"SELECT {fields} FROM {sql.table(EmuRecord)} WHERE {where} ORDER BY {q('id')}",  # noqa: S608 -- names quoted from the model
        params,
    ):
        record = sql.load(EmuRecord, values)
        indexed = {"email_key": record.email_key, "phone_key": record.phone_key}
        yield (
            record,
            [
                i
                for i, (_, _, keys) in enumerate(narrowing)
                if all(indexed[c] == k for c, k in keys)
            ],
        )


OPERATORS = (
    "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
    "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
)  # fmt: skip


def _bad_search(body: dict[str, Any]) -> str | None:
    """What HubSpot's ``PublicObjectSearchRequest`` refuses: a filter group without
    ``filters``, a filter without ``propertyName`` or with an operator not in its enumeration,
    a ``limit`` or ``after`` that is not a number."""
    for key in ("limit", "after"):
        value = body.get(key)
        if value is not None and not (isinstance(value, int) or str(value).isdigit()):
            return f"{key} must be a number"
    groups = body.get("filterGroups", [])
    if not isinstance(groups, list):
        return "filterGroups must be a list"
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list):
            return "each filter group needs its filters"
        for flt in filters:
            if not isinstance(flt, dict) or not isinstance(flt.get("propertyName"), str):
                return "each filter needs a propertyName"
            if flt.get("operator") not in OPERATORS:
                return f"operator {flt.get('operator')!r} is not one of {', '.join(OPERATORS)}"
    return None


@common.endpoint(STYLE)
def search(request: HttpRequest, account_id: str, object_type: str) -> HttpResponse:
    body = common.body_json(request)
    if request.method != "POST" or not isinstance(body, dict):
        return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
    if (problem := _bad_search(body)) is not None:
        return _error(400, f"Invalid input: {problem}", "VALIDATION_ERROR")
    limit, after = int(body.get("limit", 10) or 10), int(body.get("after", 0) or 0)
    if limit > 200:
        return _error(400, "limit must be at most 200", "VALIDATION_ERROR")
    cap = int(common.account_row(VENDOR, account_id).config.get("search_cap", SEARCH_CAP))
    if after + limit > cap:
        return _error(400, f"The search is limited to {cap} results.", "VALIDATION_ERROR")
    groups = [group.get("filters") or [] for group in body.get("filterGroups") or [{}]]
    ordered = [
        record
        for record, candidate_for in _candidates(account_id, object_type, groups)
        if any(all(_matches(record, f) for f in groups[i]) for i in candidate_for)
    ]
    page = ordered[after : after + limit]
    wanted = list(body.get("properties") or [])
    result: dict[str, Any] = {
        "total": len(ordered),
        "results": [_serialise(r, wanted) for r in page],
    }
    if after + limit < len(ordered):
        result["paging"] = {"next": {"after": str(after + limit)}}
    return common.json_response(result)


# v4 association type ids from the contact's side (HubSpot-defined): contact→deal 4,
# contact→note 202's mirror 201, contact→meeting 200's mirror 199.
CONTACT_TO = {"deals": 4, "notes": 201, "meetings": 199}
ASSOCIATIONS_LIMIT = 500


@common.endpoint(STYLE)
def associations(
    request: HttpRequest, account_id: str, from_type: str, record_id: str, to_type: str
) -> HttpResponse:
    """v4 ``GET /crm/v4/objects/contacts/{id}/associations/{toObjectType}``: the records of
    ``to_type`` associated with the contact (associations are two-way at HubSpot; here they
    are stored on the deal or note that was created with them)."""
    if from_type != "contacts" or to_type not in CONTACT_TO:
        return _error(400, f"Unable to infer object type from: {to_type}", "VALIDATION_ERROR")
    if common.get_record(VENDOR, account_id, "contacts", record_id) is None:
        return _error(404, "resource not found", "OBJECT_NOT_FOUND")
    limit = min(int(request.GET.get("limit", "500") or 500), ASSOCIATIONS_LIMIT)
    after = int(request.GET.get("after", "0") or 0)
    linked = [
        r for r in common.records_of(VENDOR, account_id, to_type).filter(pk__gt=after)
        if any(str(a.get("toObjectId")) == record_id for a in r.links.get("associations", []))
    ]  # fmt: skip
    kind = {"category": "HUBSPOT_DEFINED", "typeId": CONTACT_TO[to_type], "label": None}
    body: dict[str, Any] = {
        "results": [
            {"toObjectId": int(r.ext_id), "associationTypes": [kind]} for r in linked[:limit]
        ]
    }
    if len(linked) > limit:
        body["paging"] = {"next": {"after": str(linked[limit - 1].pk)}}
    return common.json_response(body)


@common.endpoint(STYLE)
def batch_read(request: HttpRequest, account_id: str, object_type: str) -> HttpResponse:
    """``POST /crm/v3/objects/{type}/batch/read``: up to 100 ids; 207 names the missing ones."""
    body = common.body_json(request)
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if object_type not in OBJECT_TYPES or not isinstance(inputs, list):
        return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
    # BatchReadInputSimplePublicObjectId requires all three (HubSpot's spec, as its SDK has it).
    lists = ("properties", "propertiesWithHistory")
    if not all(isinstance(body.get(k), list) for k in lists):
        return _error(400, "Invalid input: properties and propertiesWithHistory are required",
                      "VALIDATION_ERROR")  # fmt: skip
    if len(inputs) > 100:
        return _error(400, "Batch size must be at most 100", "VALIDATION_ERROR")
    ids = [str((i or {}).get("id", "")) for i in inputs]
    rows = {r.ext_id: r for r in common.records_of(VENDOR, account_id, object_type)
            .filter(ext_id__in=ids)}  # fmt: skip
    wanted = list(body.get("properties") or [])
    now = common.iso(timezone.now())
    result: dict[str, Any] = {
        "status": "COMPLETE",
        "results": [_serialise(rows[i], wanted) for i in ids if i in rows],
        "startedAt": now,
        "completedAt": now,
    }
    missing = [i for i in ids if i not in rows]
    if not missing:
        return common.json_response(result)
    result["numErrors"] = 1
    # HubSpot's StandardError: status, category, message, errors, context, links (all required).
    result["errors"] = [{
        "status": "error", "category": "OBJECT_NOT_FOUND",
        "message": "Could not get some objects, they may be deleted or not exist.",
        "context": {"ids": missing}, "errors": [], "links": {},
    }]  # fmt: skip
    return common.json_response(result, 207)


@common.endpoint(STYLE)
def batch_upsert(request: HttpRequest, account_id: str, object_type: str) -> HttpResponse:
    """``POST /crm/v3/objects/{type}/batch/upsert``: create or update each input identified by
    a unique-value property (``idProperty``), the value being ``id``. Serialised per account
    (a row lock), as HubSpot's uniqueness is: two upserts of one value make one record."""
    body = common.body_json(request)
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if object_type not in OBJECT_TYPES or not isinstance(inputs, list) or not inputs:
        return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
    if len(inputs) > UPSERT_BATCH:
        return _error(400, f"Batch size must be at most {UPSERT_BATCH}", "VALIDATION_ERROR")
    catalogue = props_.catalogue(account_id, object_type)
    for item in inputs:
        if not isinstance(item, dict) or not isinstance(item.get("properties"), dict):
            return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        prop = catalogue.get(str(item.get("idProperty", "")))
        if prop is None or not prop.unique or not str(item.get("id", "")):
            return _error(400, f"idProperty {item.get('idProperty')!r} is not a unique-value "
                          "property", "VALIDATION_ERROR")  # fmt: skip
        if (refused := _bad_values(account_id, object_type, item["properties"])) is not None:
            return refused
    started = common.iso(timezone.now())
    results = []
    with transaction.atomic():
        EmuAccount.objects.select_for_update().get(vendor=VENDOR, account_id=account_id)
        for item in inputs:
            results.append(_upsert_one(account_id, object_type, item))
    body = {"status": "COMPLETE", "results": results, "startedAt": started,
            "completedAt": common.iso(timezone.now())}  # fmt: skip
    return common.json_response(body)


def _upsert_one(account_id: str, object_type: str, item: dict[str, Any]) -> dict[str, Any]:
    key_name, key = str(item["idProperty"]), str(item["id"])
    props = _values(item["properties"])
    props[key_name] = key
    record = (
        common.records_of(VENDOR, account_id, object_type)
        .filter(**{f"data__{key_name}": key})
        .first()
    )
    if record is None:
        if object_type == "deals":
            props.setdefault("pipeline", "default")
        record = common.create_record(
            VENDOR, account_id, object_type, props, lambda pk: str(100_000 + pk),
            email=props.get("email", ""), phone=props.get("phone", ""),
        )  # fmt: skip
        return {**_serialise(record, list(props)), "new": True}
    record.data.update(props)
    record.updated_at = timezone.now()
    common.save_record(
        record, email=record.data.get("email", ""), phone=record.data.get("phone", "")
    )
    return {**_serialise(record, list(props)), "new": False}


@common.endpoint(STYLE)
def default_association(
    request: HttpRequest, account_id: str, from_type: str, record_id: str, to_type: str,
    to_id: str,
) -> HttpResponse:  # fmt: skip
    """v4 ``PUT .../associations/default/{toObjectType}/{toObjectId}``: associate two records
    with the HubSpot-defined type; doing it again changes nothing."""
    type_id = DEFAULT_ASSOCIATION.get((from_type, to_type))
    if request.method != "PUT" or type_id is None:
        return _error(400, f"Unable to infer object type from: {to_type}", "VALIDATION_ERROR")
    record = common.get_record(VENDOR, account_id, from_type, record_id)
    if record is None or common.get_record(VENDOR, account_id, to_type, to_id) is None:
        return _error(404, "resource not found", "OBJECT_NOT_FOUND")
    links = record.links.setdefault("associations", [])
    if not any(str(a.get("toObjectId")) == to_id for a in links):
        links.append({"toObjectId": to_id, "typeId": type_id})
        common.save_record(record)
    now = common.iso(timezone.now())
    spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
    body = {"status": "COMPLETE", "startedAt": now, "completedAt": now, "results": [
        {"from": {"id": record_id}, "to": {"id": to_id}, "associationSpec": spec},
    ]}  # fmt: skip
    return common.json_response(body)


@common.endpoint(STYLE)
def pipelines(request: HttpRequest, account_id: str) -> HttpResponse:
    """The default deal pipeline, with every field HubSpot's ``Pipeline`` and
    ``PipelineStage`` models require (``createdAt``, ``updatedAt``, ``archived``, stage
    ``metadata``)."""
    made = props_.CREATED
    stages = [
        {
            "id": s,
            "label": s,
            "displayOrder": i,
            "metadata": {"isClosed": str(s.startswith("closed")).lower()},
            "createdAt": made,
            "updatedAt": made,
            "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        }
        for i, s in enumerate(props_.DEAL_STAGES)
    ]
    pipeline = {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "stages": stages,
                "createdAt": made, "updatedAt": made, "archived": False}  # fmt: skip
    return common.json_response({"results": [pipeline]})


# The associations API under both names until v4's end of support (30 March 2027, HubSpot
# developer changelog "Deprecating support for HubSpot v4 APIs"): the dated 2026-03 paths
# answer as v4 did; from that day the v4 ones answer as retired.
_v4 = until(V4_ASSOCIATIONS_SUNSET)
urlpatterns = [
    path("hubspot/crm/v3/objects/<str:object_type>", objects),
    path("hubspot/crm/v3/objects/<str:object_type>/search", search),
    path("hubspot/crm/v3/objects/<str:object_type>/batch/read", batch_read),
    path("hubspot/crm/v3/objects/<str:object_type>/batch/upsert", batch_upsert),
    path(
        "hubspot/crm/v4/objects/<str:from_type>/<str:record_id>/associations/default"
        "/<str:to_type>/<str:to_id>",
        _v4(default_association),
    ),
    path(
        "hubspot/crm/v4/objects/<str:from_type>/<str:record_id>/associations/<str:to_type>",
        _v4(associations),
    ),
    path(
        "hubspot/crm/objects/2026-03/<str:from_type>/<str:record_id>/associations/default"
        "/<str:to_type>/<str:to_id>",
        default_association,
    ),
    path(
        "hubspot/crm/objects/2026-03/<str:from_type>/<str:record_id>/associations/<str:to_type>",
        associations,
    ),
    path("hubspot/crm/v3/objects/<str:object_type>/<str:record_id>", one_object),
    path("hubspot/crm/v3/properties/<str:object_type>", property_views.properties),
    path("hubspot/crm/v3/properties/<str:object_type>/<str:name>", property_views.one_property),
    path("hubspot/crm/v3/pipelines/deals", pipelines),
]
