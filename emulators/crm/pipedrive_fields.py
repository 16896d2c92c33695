"""Pipedrive emulator, person fields: ``POST /api/v2/personFields`` creates a custom field.

As Pipedrive's v2 "Create one person field" (pipedrive/client-nodejs v32.2.1,
``v2/api/person-fields-api.ts`` ``addPersonField``, body ``AddPersonFieldRequest``, answer
``AddPersonField200Response``; checked 2026-12-04): the body is checked against its schema
(``field_name`` and ``field_type`` required, nothing outside it), the answer is the new field
(``field_code`` a 40-character hash). It needs the OAuth scope ``admin`` or
``contact-fields:full``; a token whose grant recorded neither is refused with Pipedrive's 403
"Scope and URL mismatch", and so is every call to an account configured with
``fields_admin: false`` (a company whose user may not change its fields).
"""

from __future__ import annotations

import hashlib
import re

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

from emulators.crm import common, pipedrive
from emulators.crm.pipedrive_schema import PERSON_FIELD_ADD, schema_problem

VENDOR = pipedrive.VENDOR
FIELD_SCOPES = frozenset({"admin", "contact-fields:full"})
NAME_MAX = 255


def _granted(request: HttpRequest) -> list[str] | None:
    """The scopes of the calling token's grant (Pipedrive writes them comma-separated), or
    None when none were recorded (tokens made directly for tests: a grant of everything)."""
    from emulators.models import EmulatorToken, digest

    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    row = (
        EmulatorToken.objects.select_related("grant")
        .filter(token_digest=digest(token), kind=EmulatorToken.ACCESS, grant__provider=VENDOR)
        .first()
    )
    scopes = row.grant.scopes if row is not None else ""
    if isinstance(scopes, list):
        scopes = " ".join(str(s) for s in scopes)
    listed = [s for s in re.split(r"[ ,]+", scopes or "") if s]
    return listed or None


def may_change_fields(request: HttpRequest, account_id: str) -> bool:
    granted = _granted(request)
    if granted is not None and FIELD_SCOPES.isdisjoint(granted):
        return False
    return common.account_row(VENDOR, account_id).config.get("fields_admin") is not False


@common.endpoint(pipedrive.STYLE)
def create_person_field(request: HttpRequest, account_id: str) -> HttpResponse:
    if request.method != "POST":
        return pipedrive.error_response(405, "Method not allowed")
    if not may_change_fields(request, account_id):
        return pipedrive.scope_mismatch()
    body = common.body_json(request)
    invalid = "ERR_SCHEMA_VALIDATION_FAILED"
    if (problem := schema_problem(PERSON_FIELD_ADD, body)) is not None:
        return pipedrive.error_response(400, problem, invalid)
    name = body["field_name"].strip()
    if not 1 <= len(name) <= NAME_MAX:
        return pipedrive.error_response(
            400, f"Validation failed: field_name: must be 1 to {NAME_MAX} characters", invalid
        )
    if body["field_type"] in ("set", "enum") and not body.get("options"):
        return pipedrive.error_response(
            400, "Validation failed: options: required for enum and set fields", invalid
        )
    with transaction.atomic():
        row = common.account_row(VENDOR, account_id)
        custom = row.config.setdefault("custom_fields", {}).setdefault("person", [])
        # Pipedrive takes a second field of the same name (a new hash): so does the emulator.
        seed = f"{account_id}:{name}:{len(custom)}".encode()
        code = hashlib.sha1(seed, usedforsecurity=False).hexdigest()
        custom.append({"key": code, "name": name, "label": name, "type": body["field_type"]})
        row.save(update_fields=["config"])
    data = {
        "field_name": name, "field_code": code, "field_type": body["field_type"],
        "is_custom_field": True, "is_optional_response_field": False,
        "options": body.get("options") if body["field_type"] in ("set", "enum") else None,
        "subfields": None, "description": body.get("description"),
    }  # fmt: skip
    return common.json_response({"success": True, "data": data})


urlpatterns = [path("pipedrive/api/v2/personFields", create_person_field)]
