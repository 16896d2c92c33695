"""Our requests checked against Google's discovery document: the method a path and HTTP method
name, the query parameters it declares (type, enum, minimum, maximum), required ones present,
and a JSON body whose every field is a property of the method's request schema."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from tests.shared import shared_file

# Google's discovery document, revision 20230217 (../shared/vendor-specs/SOURCES.md), read in
# place; the tests of this folder require it (conftest).
DOC_PATH = shared_file("vendor-specs", "google-calendar", "calendar-v3.json")
DOC = json.loads(DOC_PATH.read_text()) if DOC_PATH else {"resources": {}}
SERVICE_PATH = "/calendar/v3/"  # the document's servicePath


class Mismatch(AssertionError):
    pass


def _methods(resources: dict[str, Any]):
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _methods(resource.get("resources", {}))


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(body)


METHODS = [(m["httpMethod"], _pattern(m["path"]), m) for m in _methods(DOC["resources"])]


def method_for(http_method: str, path: str) -> dict[str, Any]:
    """The discovery method this request calls; literal path segments win over parameters."""
    if not path.startswith(SERVICE_PATH):
        raise Mismatch(f"{path} is not under {SERVICE_PATH}")
    relative = path[len(SERVICE_PATH) :]
    found = [m for verb, rx, m in METHODS if verb == http_method and rx.fullmatch(relative)]
    if not found:
        raise Mismatch(f"no discovery method for {http_method} {relative}")
    return min(found, key=lambda m: m["path"].count("{"))


def check_request(http_method: str, path: str, params: dict[str, Any] | None, body: Any) -> str:
    """Raise ``Mismatch`` unless the request fits its method; returns the method id."""
    method = method_for(http_method, path)
    declared = {**DOC["parameters"], **method.get("parameters", {})}
    for name, value in (params or {}).items():
        if name not in declared or declared[name].get("location") == "path":
            raise Mismatch(f"{method['id']}: undeclared query parameter {name}")
        _check_value(f"{method['id']}.{name}", declared[name], value)
    for name, spec in method.get("parameters", {}).items():
        if spec.get("required") and spec["location"] == "query" and name not in (params or {}):
            raise Mismatch(f"{method['id']}: missing required {name}")
    request = method.get("request")
    if request is None and body is not None:
        raise Mismatch(f"{method['id']} takes no body")
    if request is not None:
        _check_schema(method["id"], DOC["schemas"][request["$ref"]], body)
    return method["id"]


def _check_value(where: str, spec: dict[str, Any], value: Any) -> None:
    text = str(value)
    kind = spec.get("type")
    if kind == "boolean" and text not in ("true", "false"):
        raise Mismatch(f"{where}: {text!r} is not a boolean")
    if kind == "integer":
        if not text.lstrip("-").isdigit():
            raise Mismatch(f"{where}: {text!r} is not an integer")
        if "minimum" in spec and int(text) < int(spec["minimum"]):
            raise Mismatch(f"{where}: {text} below {spec['minimum']}")
        if "maximum" in spec and int(text) > int(spec["maximum"]):
            raise Mismatch(f"{where}: {text} above {spec['maximum']}")
    if "enum" in spec and text not in spec["enum"]:
        raise Mismatch(f"{where}: {text!r} not in {spec['enum']}")
    if spec.get("format") == "date-time":
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            raise Mismatch(f"{where}: {text!r} has no offset")


def _check_schema(where: str, schema: dict[str, Any], value: Any) -> None:
    if "$ref" in schema:
        schema = DOC["schemas"][schema["$ref"]]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if not isinstance(value, dict):
            raise Mismatch(f"{where}: expected an object")
        for name, item in value.items():
            if name in schema.get("properties", {}):
                _check_schema(f"{where}.{name}", schema["properties"][name], item)
            elif "additionalProperties" in schema:
                _check_schema(f"{where}.{name}", schema["additionalProperties"], item)
            else:
                raise Mismatch(f"{where}: {name!r} is not a field of the schema")
    elif kind == "array":
        if not isinstance(value, list):
            raise Mismatch(f"{where}: expected an array")
        for index, item in enumerate(value):
            _check_schema(f"{where}[{index}]", schema["items"], item)
    elif kind == "string":
        if not isinstance(value, str):
            raise Mismatch(f"{where}: expected a string")
        if "enum" in schema and value not in schema["enum"]:
            raise Mismatch(f"{where}: {value!r} not in {schema['enum']}")
    elif kind == "boolean" and not isinstance(value, bool):
        raise Mismatch(f"{where}: expected a boolean")
    elif kind == "integer" and not isinstance(value, int):
        raise Mismatch(f"{where}: expected an integer")
