"""OpenAPI post-processing for the intake API: the schema says exactly what the serializers
accept (no unknown fields, an email or a phone, no NUL characters), so a schema-valid request
is never refused and clients can generate correct code from it."""

from __future__ import annotations

import copy
from typing import Any

# A character ``str.strip()`` keeps, spelt out: ECMAScript's \S and Python's differ (U+001C-
# U+001F are whitespace only to Python, U+FEFF only to ECMAScript), and the serializers'
# "given" test strips. Checked against every code point in the tests.
NOT_BLANK = r"[^\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NO_NUL = r"^[^\x00]*$"
STRICT_COMPONENTS = ("LeadInputRequest", "EventInputRequest")


def _person_named_by(*fields: str) -> list[dict[str, Any]]:
    return [
        {"required": [name], "properties": {name: {"type": "string", "pattern": NOT_BLANK}}}
        for name in fields
    ]


def _no_nul(component: dict[str, Any]) -> None:
    for prop in component.get("properties", {}).values():
        if prop.get("type") == "string" and "pattern" not in prop and "format" not in prop:
            prop["pattern"] = NO_NUL


def tighten_intake_schemas(
    result: dict[str, Any], generator: object, request: object, public: bool
) -> dict[str, Any]:
    """drf-spectacular hook for the intake request bodies."""
    schemas = result.get("components", {}).get("schemas", {})
    lead = schemas.get("LeadInputRequest")
    if lead is None:
        return result
    _no_nul(lead)
    lead["additionalProperties"] = False
    payload = copy.deepcopy(lead)
    lead["anyOf"] = _person_named_by("email", "phone")
    payload["anyOf"] = _person_named_by("email", "phone", "chatbot_session_id")
    payload["description"] = "The lead's fields; name the person by email, phone or session."
    schemas["EventPayloadRequest"] = payload
    for path in ("/api/v1/leads", "/api/v1/events"):
        body = result.get("paths", {}).get(path, {}).get("post", {}).get("requestBody")
        if body is not None:
            body["required"] = True
    event = schemas.get("EventInputRequest")
    if event is not None:
        event["additionalProperties"] = False
        event["properties"]["payload"] = {"$ref": "#/components/schemas/EventPayloadRequest"}
    return result
