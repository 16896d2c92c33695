"""The HubSpot emulator's properties API: list, read, create and update a property, each
behind the ``crm.schemas.<type>.*`` scope it needs (``GET``/``POST /crm/v3/properties/{type}``,
``GET``/``PATCH /crm/v3/properties/{type}/{name}``)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from emulators.crm import common
from emulators.crm import hubspot_properties as props_
from emulators.crm.hubspot_errors import STYLE, VENDOR
from emulators.crm.hubspot_errors import error as _error
from emulators.crm.models import EmuAccount

OBJECT_TYPES = ("contacts", "deals", "notes")


@common.endpoint(STYLE)
def properties(request: HttpRequest, account_id: str, object_type: str) -> HttpResponse:
    """``GET`` lists an object type's properties; ``POST`` creates one (each needs its
    ``crm.schemas.<type>.*`` scope: ``_missing_scope``)."""
    if object_type not in OBJECT_TYPES:
        return _error(404, f"Unable to infer object type from: {object_type}", "OBJECT_NOT_FOUND")
    if request.method == "POST":
        return _create_property(request, account_id, object_type)
    if (refused := _missing_scope(request, account_id, object_type, "read")) is not None:
        return refused
    results = [props_.as_json(p) for p in props_.catalogue(account_id, object_type).values()]
    return common.json_response({"results": results})


@common.endpoint(STYLE)
def one_property(
    request: HttpRequest, account_id: str, object_type: str, name: str
) -> HttpResponse:
    """``GET`` reads one property; ``PATCH`` changes a custom one (label, description, group,
    options: a new ``options`` list replaces the old one whole, as at HubSpot)."""
    access = "write" if request.method == "PATCH" else "read"
    if (refused := _missing_scope(request, account_id, object_type, access)) is not None:
        return refused
    prop = props_.catalogue(account_id, object_type).get(name)
    if prop is None:
        return _error(404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")
    if request.method == "PATCH":
        return _update_property(request, account_id, object_type, name, prop)
    return common.json_response(props_.as_json(prop))


def _granted(request: HttpRequest) -> list[str] | None:
    """The scopes the calling token's grant holds, or None when none were recorded (tokens
    made directly for tests, which stand for a grant of everything)."""
    from emulators.models import EmulatorToken, digest

    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip()
    row = (
        EmulatorToken.objects.select_related("grant")
        .filter(token_digest=digest(token), kind=EmulatorToken.ACCESS, grant__provider=VENDOR)
        .first()
    )
    scopes = row.grant.scopes if row is not None else ""
    return scopes.split() if isinstance(scopes, str) and scopes.strip() else None


def _missing_scope(
    request: HttpRequest, account_id: str, object_type: str, access: str
) -> HttpResponse | None:
    """403 ``MISSING_SCOPES`` when the grant lacks ``crm.schemas.<type>.<access>``: the
    token's grant says so (its recorded scopes), or the account's ``config["schemas_read"]``
    or ``["schemas_write"]`` is false (a portal that refuses, whatever the token)."""
    needed = f"crm.schemas.{object_type}.{access}"
    granted = _granted(request)
    refused = granted is not None and needed not in granted
    config = common.account_row(VENDOR, account_id).config
    if not (object_type == "contacts" and access == "read"):
        refused = refused or config.get(f"schemas_{access}") is False
    if not refused:
        return None
    return _error(
        403,
        "This app hasn't been granted all required scopes to make this call.",
        "MISSING_SCOPES",
        errors=[{
            "message": "One or more of the following scopes are required.",
            "context": {"requiredGranularScopes": [needed]},
        }],
    )  # fmt: skip


def _options(raw: Any) -> list[dict[str, Any]] | None:
    """A property's options as stored, or None when one lacks its label or value (HubSpot's
    ``OptionInput`` requires ``label``, ``value``, ``hidden`` and ``displayOrder``; the last
    two default when missing, as HubSpot's own answers show them)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        return None
    options = []
    for i, option in enumerate(raw):
        if not isinstance(option, dict) or not all(
            isinstance(option.get(k), str) and option.get(k) for k in ("label", "value")
        ):
            return None
        options.append({"label": option["label"], "value": option["value"],
                        "hidden": bool(option.get("hidden")),
                        "displayOrder": option.get("displayOrder", i)})  # fmt: skip
    return options


def _create_property(request: HttpRequest, account_id: str, object_type: str) -> HttpResponse:
    if (refused := _missing_scope(request, account_id, object_type, "write")) is not None:
        return refused
    body = common.body_json(request)
    fields = ("name", "label", "type", "fieldType", "groupName")
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) for f in fields):
        return _error(400, f"Invalid input: {', '.join(fields)} are required", "VALIDATION_ERROR")
    name = body["name"]
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,99}", name):
        return _error(400, f"Property name {name!r} is not valid", "VALIDATION_ERROR")
    if body["fieldType"] not in props_.FIELD_TYPES.get(body["type"], ()):
        return _error(400, f"fieldType {body['fieldType']} is not valid for type {body['type']}",
                      "VALIDATION_ERROR")  # fmt: skip
    options = _options(body.get("options"))
    if options is None:
        return _error(400, "Invalid input: each option needs a label and a value",
                      "VALIDATION_ERROR")  # fmt: skip
    now = common.iso(timezone.now())
    stored = {
        "name": name, "label": body["label"], "type": body["type"],
        "field_type": body["fieldType"], "group": body["groupName"],
        "description": str(body.get("description") or ""), "options": options,
        "unique": bool(body.get("hasUniqueValue")), "created_at": now, "updated_at": now,
    }  # fmt: skip
    with transaction.atomic():
        row = EmuAccount.objects.select_for_update().get(vendor=VENDOR, account_id=account_id)
        taken = {p.name for p in props_.STANDARD.get(object_type, ())}
        custom = row.config.setdefault("custom_fields", {}).setdefault(object_type, [])
        if name in taken or any(f["name"] == name for f in custom):
            return _error(409, f"Property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        custom.append(stored)
        row.save(update_fields=["config"])
    return common.json_response(props_.as_json(props_.custom_property(stored)), 201)


def _update_property(
    request: HttpRequest, account_id: str, object_type: str, name: str, prop: Any
) -> HttpResponse:
    body = common.body_json(request)
    if not isinstance(body, dict):
        return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
    if prop.builtin:
        return _error(400, f"{name} is a HubSpot defined property; its definition is read only",
                      "VALIDATION_ERROR")  # fmt: skip
    options = _options(body["options"]) if "options" in body else None
    if "options" in body and options is None:
        return _error(400, "Invalid input: each option needs a label and a value",
                      "VALIDATION_ERROR")  # fmt: skip
    with transaction.atomic():
        row = EmuAccount.objects.select_for_update().get(vendor=VENDOR, account_id=account_id)
        custom = row.config.setdefault("custom_fields", {}).setdefault(object_type, [])
        stored = next(f for f in custom if f["name"] == name)
        for key, field in (("label", "label"), ("description", "description"),
                           ("groupName", "group")):  # fmt: skip
            if isinstance(body.get(key), str):
                stored[field] = body[key]
        if options is not None:
            stored["options"] = options
        stored["updated_at"] = common.iso(timezone.now())
        row.save(update_fields=["config"])
    return common.json_response(props_.as_json(props_.custom_property(stored)))
