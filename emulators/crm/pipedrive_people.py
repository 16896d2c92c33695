"""Pipedrive emulator, people: ``PUT /v1/persons/{id}/merge`` (``merge_with_id``).

The person in the path is removed; the one of ``merge_with_id`` keeps its values, takes the
other's where it has none, and gets its deals and notes (sources: connectors/pipedrive/people.py).
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from emulators.crm import common, pipedrive

VENDOR = pipedrive.VENDOR


@common.endpoint(pipedrive.STYLE)
def merge(request: HttpRequest, account_id: str, record_id: str) -> HttpResponse:
    if request.method != "PUT":
        # Pipedrive routes by method and path: a method the path lacks is no route at all,
        # answered 404 "Unknown method" in its usual error body, before any validation.
        # (The reviewer's note on issue 14; a published source for the exact body was not
        # found with the search tool on 2026-12-04.)
        return pipedrive.error_response(404, "Unknown method .")
    body = common.body_json(request)
    survivor_id = str(body.get("merge_with_id") or "") if isinstance(body, dict) else ""
    if not survivor_id.isdigit():
        return pipedrive.error_response(400, "Validation failed: merge_with_id: required integer")
    if survivor_id == record_id:
        return pipedrive.error_response(400, "Cannot merge a person with itself")
    with transaction.atomic():
        other = common.get_record(VENDOR, account_id, "persons", record_id)
        survivor = common.get_record(VENDOR, account_id, "persons", survivor_id)
        if other is None or survivor is None:
            return pipedrive.error_response(404, "Person not found")
        for name, value in other.data.items():
            if value not in ("", None, [], {}) and not survivor.data.get(name):
                survivor.data[name] = value
        for kind in ("emails", "phones"):  # both persons' addresses and numbers are kept
            known = {i.get("value") for i in survivor.data.get(kind, [])}
            extra = [{**i, "primary": False} for i in other.data.get(kind, [])
                     if i.get("value") not in known]  # fmt: skip
            survivor.data[kind] = [*survivor.data.get(kind, []), *extra]
        survivor.updated_at = timezone.now()
        common.save_record(survivor, email=pipedrive.primary(survivor.data.get("emails")),
                           phone=pipedrive.primary(survivor.data.get("phones")))  # fmt: skip
        for kind in ("deals", "notes"):
            for row in common.records_of(VENDOR, account_id, kind):
                if str(row.data.get("person_id")) == record_id:
                    row.data["person_id"] = int(survivor_id)
                    common.save_record(row)
        other.delete()
    return pipedrive.ok_response(pipedrive.person_json(survivor))


urlpatterns = [
    path("pipedrive/api/v1/persons/<str:record_id>/merge", merge),
    path("pipedrive/v1/persons/<str:record_id>/merge", merge),
]
