"""What we send to HubSpot, checked against HubSpot's request schemas as its SDK generates them.

Every JSON body the connector builds is turned into the SDK model for its operation (read
from the installed ``hubspot-api-client``, never copied), field by field: a key the model does
not have, a required field missing, a value of the wrong type or outside an enumeration fails.
The SDK's own models check required fields and enumerations (client-side validation on); the
primitive types (``str``, ``int``, ``bool``, ``dict[str, str]``) are checked here, since its
generated setters do not.

One known defect of HubSpot's spec is corrected, not copied: ``PublicObjectSearchRequest.sorts``
is typed ``list[str]`` while HubSpot's search guide and API take objects ``{"propertyName",
"direction"}`` (HubSpot/hubspot-api-python#236, open; hubspot-api-nodejs#9; seen 2026-12-04).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from hubspot.crm.contacts import models as contacts
from hubspot.crm.deals import models as deals
from hubspot.crm.objects.meetings import models as meetings
from hubspot.crm.objects.notes import models as notes
from hubspot.crm.properties import models as properties

# (method, path pattern, SDK model) for every body the connector sends.
ROUTES: tuple[tuple[str, str, type], ...] = (
    ("POST", r"/crm/v3/objects/contacts/search$", contacts.PublicObjectSearchRequest),
    ("POST", r"/crm/v3/objects/contacts$", contacts.SimplePublicObjectInputForCreate),
    ("PATCH", r"/crm/v3/objects/contacts/\d+$", contacts.SimplePublicObjectInput),
    ("POST", r"/crm/v3/objects/deals$", deals.SimplePublicObjectInputForCreate),
    ("PATCH", r"/crm/v3/objects/deals/\d+$", deals.SimplePublicObjectInput),
    ("POST", r"/crm/v3/objects/deals/batch/upsert$",
     deals.BatchInputSimplePublicObjectBatchInputUpsert),
    ("POST", r"/crm/v3/objects/deals/batch/read$", deals.BatchReadInputSimplePublicObjectId),
    ("POST", r"/crm/v3/objects/notes/batch/read$", notes.BatchReadInputSimplePublicObjectId),
    ("POST", r"/crm/v3/objects/notes$", notes.SimplePublicObjectInputForCreate),
    ("POST", r"/crm/v3/objects/meetings$", meetings.SimplePublicObjectInputForCreate),
    ("PATCH", r"/crm/v3/objects/meetings/\d+$", meetings.SimplePublicObjectInput),
    ("POST", r"/crm/v3/objects/meetings/batch/read$", meetings.BatchReadInputSimplePublicObjectId),
    ("POST", r"/crm/v3/properties/(contacts|deals)$", properties.PropertyCreate),
    ("PATCH", r"/crm/v3/properties/(contacts|deals)/\w+$", properties.PropertyUpdate),
    ("POST", r"/crm/v3/objects/contacts/merge$", contacts.PublicMergeInput),
)  # fmt: skip
# Bodies the SDK has no model for: hubspot-api-client 12.0.0 generates communication
# preferences v3 only, and the opt-out uses v4 (connectors/hubspot/people.py cites HubSpot's v4
# reference, checked 2026-12-04). Their shape is asserted by tests/connectors/hubspot/
# test_recorded_people.py instead; any other unknown route still fails.
UNMODELLED = (("POST", r"/communication-preferences/v4/statuses/[^/]+(/unsubscribe-all)?$"),)
SORT_DIRECTIONS = ("ASCENDING", "DESCENDING")
PRIMITIVES: dict[str, Any] = {"str": str, "int": int, "float": (int, float), "bool": bool}


class SchemaError(AssertionError):
    """A body that does not fit the SDK's model of the request."""


def model_for(method: str, path: str) -> type | None:
    """The SDK model of the request, None for a route in ``UNMODELLED``."""
    if any(method == m and re.search(pattern, path) for m, pattern in UNMODELLED):
        return None
    for route_method, pattern, model in ROUTES:
        if method == route_method and re.search(pattern, path):
            return model
    raise SchemaError(f"no SDK model known for {method} {path}: add it to ROUTES")


def check(body: Any, model: type, where: str = "body") -> Any:
    """The SDK model built from ``body`` (JSON), or ``SchemaError`` saying what does not fit."""
    if not isinstance(body, dict):
        raise SchemaError(f"{where}: expected an object for {model.__name__}")
    by_json = {json_name: attr for attr, json_name in model.attribute_map.items()}
    unknown = sorted(set(body) - set(by_json))
    if unknown:
        raise SchemaError(f"{where}: {model.__name__} has no field {', '.join(unknown)}")
    values = {}
    for json_name, value in body.items():
        attr = by_json[json_name]
        kind = model.openapi_types[attr]
        if model.__name__ == "PublicObjectSearchRequest" and attr == "sorts":
            _check_sorts(value, f"{where}.{json_name}")
            continue
        values[attr] = _value(value, kind, model, f"{where}.{json_name}")
    configuration = importlib.import_module(model.__module__.split(".models")[0]).Configuration()
    configuration.client_side_validation = True
    try:
        return model(**values, local_vars_configuration=configuration)
    except ValueError as exc:  # the SDK's own check: a required field or an enumeration
        raise SchemaError(f"{where}: {exc}") from exc


def _value(value: Any, kind: str, model: type, where: str) -> Any:
    if value is None:
        return None
    if kind.startswith("list["):
        if not isinstance(value, list):
            raise SchemaError(f"{where}: expected a list")
        inner = kind[5:-1]
        return [_value(v, inner, model, f"{where}[{i}]") for i, v in enumerate(value)]
    if kind.startswith("dict["):
        inner = kind[5:-1].split(", ", 1)[1]
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected an object")
        return {k: _value(v, inner, model, f"{where}.{k}") for k, v in value.items()}
    if kind in PRIMITIVES:
        wanted = PRIMITIVES[kind]
        if not isinstance(value, wanted) or (kind != "bool" and isinstance(value, bool)):
            raise SchemaError(f"{where}: expected {kind}, got {type(value).__name__}")
        return value
    if kind == "object":
        return value
    nested = getattr(importlib.import_module(model.__module__.rsplit(".", 1)[0]), kind)
    return check(value, nested, where)


def _check_sorts(value: Any, where: str) -> None:
    if not isinstance(value, list):
        raise SchemaError(f"{where}: expected a list")
    for i, sort in enumerate(value):
        if isinstance(sort, str):
            continue
        ok = (
            isinstance(sort, dict)
            and set(sort) <= {"propertyName", "direction"}
            and isinstance(sort.get("propertyName"), str)
            and sort.get("direction", "ASCENDING") in SORT_DIRECTIONS
        )
        if not ok:
            raise SchemaError(f"{where}[{i}]: expected {{propertyName, direction}}")
