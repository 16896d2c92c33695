"""Pipedrive API v2 request schemas for the bodies we send, and the check v2 applies to them.

Pipedrive v2 validates a body against its schema and refuses any field outside it
(``ERR_SCHEMA_VALIDATION_FAILED``, "Parameter '…' is not allowed for this request"; VENDORS.md
"Corrections and additions", 2026-12-04). The field lists and types are those of Pipedrive's
own generated client, pipedrive/client-nodejs v32.2.1 (2026-04-20),
``src/versions/v2/models/add-person-request.ts`` (also the body of ``PATCH /persons/{id}``,
see ``persons-api.ts`` ``updatePerson``), ``add-person-request-emails-inner.ts``,
``add-person-request-phones-inner.ts``, ``add-deal-request.ts``, ``update-deal-request.ts`` and
``add-person-field-request.ts``;
checked 2026-12-04. The emulator refuses with it, and the recorded-response tests validate
what our connector sends against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A JSON type name per field: "string", "integer", "number", "boolean", "object",
# "array<integer>", "array<contact>" (emails/phones entries); "|null" allows null.
CONTACT_ENTRY = {"value": "string", "primary": "boolean", "label": "string"}
MARKETING_STATUS = ("no_consent", "unsubscribed", "subscribed", "archived")


@dataclass(frozen=True)
class RequestSchema:
    name: str  # the client's model name, for messages and citations
    fields: dict[str, str]
    required: tuple[str, ...] = ()
    enums: tuple[tuple[str, tuple[str, ...]], ...] = ()


_PERSON_FIELDS = {
    "name": "string", "owner_id": "integer", "org_id": "integer", "add_time": "string",
    "update_time": "string", "emails": "array<contact>", "phones": "array<contact>",
    "visible_to": "integer", "label_ids": "array<integer>", "marketing_status": "string",
    "custom_fields": "object",
}  # fmt: skip
PERSON = RequestSchema(
    name="AddPersonRequest",
    fields=_PERSON_FIELDS,
    enums=(("marketing_status", MARKETING_STATUS),),
)
_DEAL_FIELDS = {
    "title": "string", "owner_id": "integer", "person_id": "integer", "org_id": "integer",
    "pipeline_id": "integer", "stage_id": "integer", "value": "number", "currency": "string",
    "is_deleted": "boolean", "is_archived": "boolean", "archive_time": "string",
    "status": "string", "probability": "number|null", "lost_reason": "string|null",
    "visible_to": "integer", "close_time": "string|null", "won_time": "string",
    "lost_time": "string", "expected_close_date": "string", "label_ids": "array<integer>",
    "custom_fields": "object",
}  # fmt: skip
DEAL_ADD = RequestSchema(name="AddDealRequest", fields=_DEAL_FIELDS, required=("title",))
DEAL_UPDATE = RequestSchema(name="UpdateDealRequest", fields=_DEAL_FIELDS)
# v2 ``POST /personFields`` (client-nodejs v32.2.1 ``add-person-field-request.ts``; the
# endpoint since 30.7.0, 2025-12-03). ``field_type`` is one of the types that model lists.
PERSON_FIELD_TYPES = ("varchar", "text", "double", "phone", "date", "daterange", "time",
                      "timerange", "set", "enum", "varchar_auto", "address", "monetary", "org",
                      "people", "user")  # fmt: skip
_PERSON_FIELD_FIELDS = {
    "field_name": "string", "field_type": "string", "options": "array<object>",
    "ui_visibility": "object", "important_fields": "object", "required_fields": "object",
    "description": "string|null",
}  # fmt: skip
PERSON_FIELD_ADD = RequestSchema(
    name="AddPersonFieldRequest",
    fields=_PERSON_FIELD_FIELDS,
    required=("field_name", "field_type"),
    enums=(("field_type", PERSON_FIELD_TYPES),),
)
# v1 ``POST /notes`` (client-nodejs ``src/versions/v1/models/add-note-request-all-of*.ts``):
# v1 does not refuse unknown fields the way v2 does, so the emulator does not either; the
# recorded tests still check that our note bodies are what the schema describes.
_NOTE_FIELDS = {
    "content": "string", "lead_id": "string", "deal_id": "integer", "person_id": "integer",
    "org_id": "integer", "project_id": "integer", "user_id": "integer", "add_time": "string",
    "pinned_to_lead_flag": "integer", "pinned_to_deal_flag": "integer",
    "pinned_to_organization_flag": "integer", "pinned_to_person_flag": "integer",
    "pinned_to_project_flag": "integer",
}  # fmt: skip
NOTE_ADD = RequestSchema(name="AddNoteRequest", fields=_NOTE_FIELDS, required=("content",))

# v2 ``POST /activities`` and ``PATCH /activities/{id}`` (both take ``AddActivityRequest``:
# client-nodejs ``src/versions/v2/models/add-activity-request.ts`` with its
# ``-participants-inner`` and ``-location`` models, and ``api/activities-api.ts``; read
# 2026-12-05). ``due_date`` is YYYY-MM-DD, ``due_time`` and ``duration`` HH:MM, in UTC.
_ACTIVITY_FIELDS = {
    "subject": "string", "type": "string", "owner_id": "integer", "deal_id": "integer",
    "lead_id": "string", "person_id": "integer", "org_id": "integer", "project_id": "integer",
    "due_date": "string", "due_time": "string", "duration": "string", "busy": "boolean",
    "done": "boolean", "location": "object", "participants": "array<participant>",
    "attendees": "array<object>", "public_description": "string", "priority": "integer",
    "note": "string",
}  # fmt: skip
ACTIVITY = RequestSchema(name="AddActivityRequest", fields=_ACTIVITY_FIELDS)
PARTICIPANT = {"person_id": "integer", "primary": "boolean"}


def _is(value: Any, kind: str) -> bool:
    if kind.endswith("|null"):
        return value is None or _is(value, kind[: -len("|null")])
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array<integer>":
        return isinstance(value, list) and all(_is(v, "integer") for v in value)
    if kind == "array<object>":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    if kind == "array<participant>":
        return isinstance(value, list) and all(
            isinstance(v, dict) and set(v) <= set(PARTICIPANT)
            and all(_is(x, PARTICIPANT[k]) for k, x in v.items())
            for v in value
        )  # fmt: skip
    if kind == "array<contact>":
        return isinstance(value, list) and all(_contact_ok(v) for v in value)
    raise ValueError(f"unknown schema type {kind!r}")


def _contact_ok(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("value"), str)
        and set(entry) <= set(CONTACT_ENTRY)
        and all(_is(v, CONTACT_ENTRY[k]) for k, v in entry.items())
    )


def schema_problem(schema: RequestSchema, body: Any) -> str | None:
    """Pipedrive's message for the first way ``body`` breaks ``schema``, or None."""
    if not isinstance(body, dict):
        return "Validation failed: body: must be an object"
    for name in body:
        if name not in schema.fields:
            return f"Validation failed: Parameter '{name}' is not allowed for this request"
    for name in schema.required:
        if name not in body:
            return f"Validation failed: {name}: Parameter '{name}' is required"
    for name, value in body.items():
        if not _is(value, schema.fields[name]):
            return f"Validation failed: {name}: must be of type {schema.fields[name]}"
    for name, allowed in schema.enums:
        if name in body and body[name] not in allowed:
            return f"Validation failed: {name}: must be one of {', '.join(allowed)}"
    return None
