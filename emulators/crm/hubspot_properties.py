"""The HubSpot emulator's property catalogue and the value checks HubSpot makes on a write.

A portal starts with HubSpot's own properties only (a subset: the ones the product and its
tests touch); anything else exists only after ``POST /crm/v3/properties/{type}`` (or the test
control API) added it, exactly as at HubSpot, where a write naming a property the portal
lacks is refused whole.

Refusals carry HubSpot's body: HTTP 400, ``category: VALIDATION_ERROR`` and a message
"Property values were not valid: [...]" listing ``{"isValid": false, "message", "error",
"name", "localizedErrorMessage"}`` per bad value. ``PROPERTY_DOESNT_EXIST`` and
``INVALID_OPTION`` (with "… was not one of the allowed options: …") are HubSpot's own codes as
its answers show them (HubSpot bodies quoted in gregorspan/csc-frodx#21 and
gitcoinco/code_fund_ads#479, seen 2026-12-04); ``READ_ONLY_VALUE``, ``INVALID_DECIMAL``,
``INVALID_DATE``, ``INVALID_BOOLEAN`` and ``MAX_LENGTH_EXCEEDED`` follow the same shape but
their exact spelling was not found in a published answer (docs/vendors/hubspot.md).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, NamedTuple

from emulators.crm import common

VENDOR = "hubspot"
# HubSpot: "string property values are limited to 65,536 characters" (properties guide).
MAX_STRING = 65_536
LIFECYCLE_STAGES = (
    "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
    "customer", "evangelist", "other",
)  # fmt: skip
LEAD_STATUSES = (
    "NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT",
    "CONNECTED", "BAD_TIMING",
)  # fmt: skip
DEAL_STAGES = (
    "appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
    "contractsent", "closedwon", "closedlost",
)  # fmt: skip
MEETING_OUTCOMES = ("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED")
READ_ONLY = ("hs_object_id", "createdate", "lastmodifieddate")
# Property types and the field types HubSpot accepts for each (properties API reference).
FIELD_TYPES = {
    "string": ("text", "textarea", "phonenumber", "html", "file"),
    "number": ("number", "calculation_equation"),
    "enumeration": ("booleancheckbox", "checkbox", "radio", "select"),
    "bool": ("booleancheckbox",),
    "date": ("date",),
    "datetime": ("date",),
}
CREATED = "2019-08-06T02:41:08.029Z"  # when HubSpot's own properties "were created"


class Property(NamedTuple):
    name: str
    label: str
    type: str
    field_type: str
    group: str
    builtin: bool = True
    options: tuple[str, ...] = ()
    unique: bool = False
    description: str = ""
    created_at: str = CREATED
    updated_at: str = CREATED
    hidden_options: tuple[str, ...] = ()
    option_labels: tuple[str, ...] = ()  # beside ``options``; HubSpot's own use the value


def _std(name: str, label: str, type_: str, field_type: str, group: str,
         options: tuple[str, ...] = ()) -> Property:  # fmt: skip
    return Property(name, label, type_, field_type, group, True, options)


_C, _D, _N, _S = "contactinformation", "dealinformation", "engagement", "sales_properties"
STANDARD: dict[str, tuple[Property, ...]] = {
    "contacts": (
        _std("email", "Email", "string", "text", _C),
        _std("firstname", "First Name", "string", "text", _C),
        _std("lastname", "Last Name", "string", "text", _C),
        _std("phone", "Phone Number", "string", "phonenumber", _C),
        _std("mobilephone", "Mobile Phone Number", "string", "phonenumber", _C),
        _std("company", "Company Name", "string", "text", _C),
        _std("jobtitle", "Job Title", "string", "text", _C),
        _std("message", "Message", "string", "textarea", _C),
        _std("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", _C, LIFECYCLE_STAGES),
        _std("hs_lead_status", "Lead Status", "enumeration", "radio", _S, LEAD_STATUSES),
        _std("createdate", "Create Date", "datetime", "date", _C),
        _std("lastmodifieddate", "Last Modified Date", "datetime", "date", _C),
        _std("hs_object_id", "Record ID", "number", "number", _C),
    ),
    "deals": (
        _std("dealname", "Deal Name", "string", "text", _D),
        _std("dealstage", "Deal Stage", "enumeration", "radio", _D, DEAL_STAGES),
        _std("pipeline", "Pipeline", "enumeration", "select", _D, ("default",)),
        _std("amount", "Amount", "number", "number", _D),
        _std("closedate", "Close Date", "datetime", "date", _D),
        _std("description", "Deal Description", "string", "textarea", _D),
        _std("createdate", "Create Date", "datetime", "date", _D),
        _std("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", _D),
        _std("hs_object_id", "Record ID", "number", "number", _D),
    ),
    # Meetings (HubSpot's meetings guide, read 2026-12-05: the outcome's internal values).
    "meetings": (
        _std("hs_timestamp", "Activity date", "datetime", "date", _N),
        _std("hs_meeting_title", "Meeting name", "string", "text", _N),
        _std("hs_meeting_body", "Meeting description", "string", "html", _N),
        _std("hs_meeting_location", "Location", "string", "text", _N),
        _std("hs_meeting_start_time", "Start time", "datetime", "date", _N),
        _std("hs_meeting_end_time", "End time", "datetime", "date", _N),
        _std(
            "hs_meeting_outcome", "Meeting outcome", "enumeration", "select", _N, MEETING_OUTCOMES
        ),
        _std("hs_object_id", "Record ID", "number", "number", _N),
    ),
    "notes": (
        _std("hs_timestamp", "Activity date", "datetime", "date", _N),
        _std("hs_note_body", "Note body", "string", "html", _N),
        _std("hs_object_id", "Record ID", "number", "number", _N),
    ),
}


def custom_property(extra: dict[str, Any]) -> Property:
    """A custom property as stored in the account's config (the control API's short form,
    ``{"name", "label", "type"}``, gets HubSpot's defaults)."""
    type_ = extra.get("type", "string")
    return Property(
        extra["name"],
        extra.get("label", extra["name"]),
        type_,
        extra.get("field_type") or FIELD_TYPES.get(type_, ("text",))[0],
        extra.get("group", ""),
        False,
        tuple(o["value"] for o in extra.get("options", [])),
        bool(extra.get("unique")),
        extra.get("description", ""),
        extra.get("created_at", CREATED),
        extra.get("updated_at", extra.get("created_at", CREATED)),
        tuple(o["value"] for o in extra.get("options", []) if o.get("hidden")),
        tuple(o.get("label") or o["value"] for o in extra.get("options", [])),
    )


def catalogue(account_id: str, object_type: str) -> dict[str, Property]:
    """The portal's properties: HubSpot's own plus the custom ones it was given."""
    props = {p.name: p for p in STANDARD.get(object_type, ())}
    config = common.account_row(VENDOR, account_id).config
    for extra in config.get("custom_fields", {}).get(object_type, []):
        props.setdefault(extra["name"], custom_property(extra))
    return props


def as_json(prop: Property) -> dict[str, Any]:
    """HubSpot's ``Property`` model: every field its SDK marks as required is present."""
    body: dict[str, Any] = {
        "name": prop.name,
        "label": prop.label,
        "type": prop.type,
        "fieldType": prop.field_type,
        "description": prop.description,
        "groupName": prop.group,
        "options": [
            {
                "label": (prop.option_labels or prop.options)[i],
                "value": v,
                "displayOrder": i,
                "hidden": v in prop.hidden_options,
            }
            for i, v in enumerate(prop.options)
        ],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": prop.name in ("dealstage", "pipeline"),
        "hasUniqueValue": prop.unique,
        "hidden": False,
        "hubspotDefined": prop.builtin,
        "formField": prop.type != "datetime",
        "createdAt": prop.created_at,
        "updatedAt": prop.updated_at,
        "archived": False,
        "modificationMetadata": {
            "archivable": not prop.builtin,
            "readOnlyDefinition": prop.builtin,
            "readOnlyValue": prop.name in READ_ONLY,
        },
    }
    return body


def _problem(prop: Property | None, name: str, value: str) -> tuple[str, str] | None:
    """(error code, message) for one value HubSpot would refuse, else None."""
    if prop is None:
        return "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
    if name in READ_ONLY:
        return "READ_ONLY_VALUE", f'"{name}" is a read only property; its value cannot be set.'
    if value == "":
        return None  # clearing a value is always allowed
    if prop.type == "enumeration":
        chosen = value.split(";") if prop.field_type == "checkbox" else [value]
        wrong = [v for v in chosen if v not in prop.options]
        if wrong:
            allowed = ", ".join(prop.options)
            return "INVALID_OPTION", f"{wrong[0]} was not one of the allowed options: [{allowed}]"
    elif prop.type == "number":
        if value != value.strip() or not re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", value):
            return "INVALID_DECIMAL", f"{value} was not a valid number"
    elif prop.type in ("date", "datetime"):
        if not _is_time(value):
            return "INVALID_DATE", f"{value} was not a valid date"
    elif prop.type == "bool":
        if value not in ("true", "false"):
            return "INVALID_BOOLEAN", f"{value} was not a valid boolean"
    elif len(value) > MAX_STRING:
        return "MAX_LENGTH_EXCEEDED", (
            f"{name} has a value of {len(value)} characters; the limit is {MAX_STRING}"
        )
    return None


def _is_time(value: str) -> bool:
    if value.isdigit():  # epoch milliseconds
        return True
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def invalid(account_id: str, object_type: str, raw: dict[str, Any]) -> str | None:
    """HubSpot's "Property values were not valid: [...]" message for ``raw``, or None.

    Values must be strings, numbers, booleans or null: an object or a list is a wrong type."""
    known = catalogue(account_id, object_type)
    results = []
    for name, value in raw.items():
        if isinstance(value, dict | list):
            found: tuple[str, str] | None = (
                "INVALID_PROPERTY_VALUE", f"{name} must be a string, number or boolean"
            )  # fmt: skip
        else:
            found = _problem(known.get(name), name, text_of(value))
        if found is not None:
            code, message = found
            results.append({"isValid": False, "message": message, "error": code, "name": name,
                            "localizedErrorMessage": message})  # fmt: skip
    if not results:
        return None
    return "Property values were not valid: " + json.dumps(results)


def text_of(value: Any) -> str:
    """A property value as HubSpot stores it (booleans as "true"/"false", null as "")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
