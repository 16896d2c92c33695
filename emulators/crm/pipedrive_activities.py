"""Pipedrive emulator, activities: v2 ``/activities`` (add, get, update, delete) and v1
``GET /persons/{id}/activities`` (a person's activities, as the v1 list of a person).

The body is checked against ``AddActivityRequest`` (``pipedrive_schema.ACTIVITY``): a field
outside it, or of the wrong type, is ``ERR_SCHEMA_VALIDATION_FAILED``. Beyond the schema,
Pipedrive refuses a ``type`` that is not one of the company's activity types (the default
ones: call, meeting, task, deadline, email, lunch), dates and times not in its formats, and a
person that does not exist. The wording of those three refusals is not published; they take
Pipedrive's usual error body (docs/vendors/pipedrive.md).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from emulators.crm import common, pipedrive
from emulators.crm.models import EmuRecord
from emulators.crm.pipedrive_schema import ACTIVITY, schema_problem

VENDOR = pipedrive.VENDOR
ACTIVITY_TYPES = ("call", "meeting", "task", "deadline", "email", "lunch")
FORMATS = {
    "due_date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "due_time": re.compile(r"([01]\d|2[0-3]):[0-5]\d"),
    "duration": re.compile(r"\d{2}:[0-5]\d"),
}
INVALID = "ERR_SCHEMA_VALIDATION_FAILED"


def _json(record: EmuRecord) -> dict[str, Any]:
    stamp = record.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": int(record.ext_id), "done": False, "busy": True, "is_deleted": False,
        **record.data,
        "add_time": record.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "update_time": stamp,
    }  # fmt: skip


def _problem(account_id: str, body: Any) -> tuple[str, str] | None:
    """(message, code) for what Pipedrive refuses in an activity body, else None."""
    if (problem := schema_problem(ACTIVITY, body)) is not None:
        return problem, INVALID
    if "type" in body and body["type"] not in ACTIVITY_TYPES:
        return f"Validation failed: type: must be one of {', '.join(ACTIVITY_TYPES)}", INVALID
    for name, pattern in FORMATS.items():
        if name in body and not pattern.fullmatch(body[name]):
            return f"Validation failed: {name}: invalid format", INVALID
    people = [body.get("person_id"), *(p.get("person_id") for p in body.get("participants", []))]
    for person_id in filter(None, people):
        if common.get_record(VENDOR, account_id, "persons", str(person_id)) is None:
            return "Person not found", ""
    return None


@common.endpoint(pipedrive.STYLE)
def activities(request: HttpRequest, account_id: str) -> HttpResponse:
    if request.method != "POST":
        return pipedrive.error_response(404, "Unknown method .")
    body = common.body_json(request)
    if (refused := _problem(account_id, body)) is not None:
        return pipedrive.error_response(400, *refused)
    data = {"type": "task", **body}  # Pipedrive's default activity type
    record = common.create_record(VENDOR, account_id, "activities", data, lambda pk: str(pk))
    return pipedrive.ok_response(_json(record))


@common.endpoint(pipedrive.STYLE)
def activity(request: HttpRequest, account_id: str, record_id: str) -> HttpResponse:
    record = common.get_record(VENDOR, account_id, "activities", record_id)
    if record is None:
        return pipedrive.error_response(404, "Activity not found")
    if request.method == "GET":
        return pipedrive.ok_response(_json(record))
    if request.method == "DELETE":
        record.delete()
        return pipedrive.ok_response({"id": int(record_id)})
    if request.method != "PATCH":
        return pipedrive.error_response(404, "Unknown method .")
    body = common.body_json(request)
    if (refused := _problem(account_id, body)) is not None:
        return pipedrive.error_response(400, *refused)
    record.data.update(body)
    record.updated_at = timezone.now()
    common.save_record(record)
    return pipedrive.ok_response(_json(record))


@common.endpoint(pipedrive.STYLE)
def person_activities(request: HttpRequest, account_id: str, record_id: str) -> HttpResponse:
    """v1 list of a person's activities (``start``/``limit``); an empty list is ``null``."""
    if common.get_record(VENDOR, account_id, "persons", record_id) is None:
        return pipedrive.error_response(404, "Person not found")
    rows = [
        r for r in common.records_of(VENDOR, account_id, "activities")
        if str(r.data.get("person_id")) == record_id
        or any(str(p.get("person_id")) == record_id for p in r.data.get("participants", []))
    ]  # fmt: skip
    start_raw, limit_raw = request.GET.get("start", "0"), request.GET.get("limit", "100")
    if not (start_raw.isdigit() and limit_raw.isdigit() and 0 < int(limit_raw) <= 500):
        return pipedrive.error_response(400, "Validation failed: start/limit: must be integers",
                                        INVALID)  # fmt: skip
    start, limit = int(start_raw), int(limit_raw)
    page = rows[start : start + limit]
    more = start + limit < len(rows)
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return pipedrive.ok_response([_json(r) for r in page] or None, pagination=pagination)


urlpatterns = [
    path("pipedrive/api/v2/activities", activities),
    path("pipedrive/api/v2/activities/<str:record_id>", activity),
    path("pipedrive/api/v1/persons/<str:record_id>/activities", person_activities),
    path("pipedrive/v1/persons/<str:record_id>/activities", person_activities),
]
