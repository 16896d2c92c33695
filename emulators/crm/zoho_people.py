"""Zoho emulator, people: ``POST /crm/v8/{module}/{master}/actions/merge``.

Merges up to three records (the master and two children) into the master and deletes the
children; the master's values are kept, empty ones take a child's; the children's deals and
notes move to the master. Answered at once with SUCCESS (Zoho may also answer SCHEDULED with a
job id; sources: connectors/zoho/people.py).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from emulators.crm import common, zoho

VENDOR = zoho.VENDOR
LOOKUPS = (("Deals", "Contact_Name"), ("Notes", "Parent_Id"))


def _invalid(message: str, **details: Any) -> HttpResponse:
    entry = {"code": "INVALID_DATA", "details": details, "message": message, "status": "error"}
    return common.json_response({"merge": [entry]}, 400)


@common.endpoint(zoho.STYLE)
def merge(request: HttpRequest, account_id: str, module: str, record_id: str) -> HttpResponse:
    if module not in ("Contacts",):
        return common.json_response(
            {
                "code": "INVALID_MODULE",
                "details": {"resource_path_index": 0},
                "message": "the module name given seems to be invalid",
                "status": "error",
            },
            400,
        )
    if request.method != "POST":
        return common.json_response(
            {
                "code": "INVALID_REQUEST_METHOD",
                "details": {},
                "message": "The http request method type is not a valid one",
                "status": "error",
            },
            400,
        )
    body = common.body_json(request)
    merges = body.get("merge") if isinstance(body, dict) else None
    if not isinstance(merges, list) or len(merges) != 1 or not isinstance(merges[0], dict):
        return _invalid("invalid data", json_path="$.merge", maximum_length=1)
    children = [str((c or {}).get("id", "")) for c in merges[0].get("data") or []]
    if not children or len(children) > 2 or record_id in children:
        return _invalid("invalid data", json_path="$.merge[0].data")
    with transaction.atomic():
        master = common.get_record(VENDOR, account_id, module, record_id)
        if master is None:
            return _invalid("Specified master record ID is invalid", id=record_id)
        rows = [common.get_record(VENDOR, account_id, module, c) for c in children]
        if any(r is None for r in rows):
            return _invalid("the related id given seems to be invalid", json_path="$.merge[0].data")
        for child in rows:
            for name, value in child.data.items():
                if value not in ("", None) and not master.data.get(name):
                    master.data[name] = value
            for other_module, field in LOOKUPS:
                for row in common.records_of(VENDOR, account_id, other_module):
                    ref = row.data.get(field)
                    if isinstance(ref, dict) and str(ref.get("id")) == child.ext_id:
                        row.data[field] = {**ref, "id": master.ext_id}
                        common.save_record(row)
            child.delete()
        master.updated_at = timezone.now()
        common.save_record(
            master,
            email=str(master.data.get("Email") or ""),
            phone=str(master.data.get("Phone") or ""),
        )
    entry = {
        "code": "SUCCESS",
        "details": {"id": master.ext_id},
        "message": "records merged successfully",
        "status": "success",
    }
    return common.json_response({"merge": [entry]})


urlpatterns = [path("zoho/crm/v8/<str:module>/<str:record_id>/actions/merge", merge)]
