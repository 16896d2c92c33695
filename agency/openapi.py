"""OpenAPI post-processing: the error responses every operation can give, as problem+json."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from common.parsers import MAX_JSON_DEPTH
from common.problems import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details. Switch on `type`; it is stable.",
    "properties": {
        "type": {"type": "string", "example": "/problems/invalid-api-key"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": True,
            "description": "Field errors, for validation-error.",
        },
        "retry_after": {"type": "integer", "description": "Seconds, for rate-limited."},
        "max_bytes": {"type": "integer", "description": "The body limit, for payload-too-large."},
        "max_depth": {"type": "integer", "description": "The JSON nesting limit."},
    },
    "required": ["type", "title", "status"],
    "additionalProperties": True,
}

COMMON_ERRORS = {
    "400": "Malformed request, invalid input, or an API key in the query string.",
    "401": "Missing, invalid or revoked API key.",
    "403": "The key may not perform this operation.",
    "404": "No such resource for this client.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "413": "The request body is larger than the limit (`max_bytes`, see the description).",
    "415": "Unsupported media type.",
    "429": "Too many requests; see Retry-After.",
    "503": "A store the request needs is unavailable; nothing was stored. Retry after "
    "Retry-After seconds with the same Idempotency-Key.",
}


BLANK_STRING = {"type": "string", "maxLength": 0}


def _blank_or_pattern_as_any_of(schemas: dict[str, Any]) -> None:
    """drf-spectacular states a pattern field that may be blank as ``oneOf: [pattern, blank]``;
    where the pattern also matches "" (``transcript_url``), "" matches both and ``oneOf``
    calls it invalid, though the API accepts it. ``anyOf`` says what the serializer does."""
    for component in schemas.values():
        for prop in component.get("properties", {}).values():
            variants = prop.get("oneOf")
            if isinstance(variants, list) and BLANK_STRING in variants:
                prop["anyOf"] = prop.pop("oneOf")


def _closed_request_bodies(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Request bodies allow no properties beyond their own: the serializers refuse them."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        component = schemas.get(ref.rsplit("/", 1)[-1]) if ref else None
        if component is not None and component.get("type") == "object":
            component.setdefault("additionalProperties", False)


def limits_description() -> str:
    """The request limits every operation shares, for the API description."""
    return (
        "\n\n**Limits.** A request body may be at most "
        f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes (`DATA_UPLOAD_MAX_MEMORY_SIZE`); a larger "
        "one is refused with 413 `payload-too-large`, whose `max_bytes` states the limit. JSON "
        f"may nest at most {MAX_JSON_DEPTH} levels of arrays and objects; deeper is refused "
        "with 400 `malformed-request`. Unknown fields in a request body are refused with 400 "
        "`validation-error` naming them (nothing is dropped silently), and an operation that "
        "takes no body refuses one."
    )


def add_problem_responses(
    result: dict[str, Any], generator: object, request: object, public: bool
) -> dict[str, Any]:
    """drf-spectacular hook: every operation documents the problem responses it may return."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    _blank_or_pattern_as_any_of(schemas)
    info = result.setdefault("info", {})
    info["description"] = info.get("description", "") + limits_description()
    ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            _closed_request_bodies(operation, schemas)
            responses = operation.setdefault("responses", {})
            for code, description in COMMON_ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}},
                    },
                )
    return result
