"""What we send to Salesforce, checked against the org's describe.

Salesforce publishes no OpenAPI document for sObjects: the request schema of a create or update
is the object's describe (field names, types, lengths, ``createable`` / ``updateable``,
``nillable``, restricted picklists). ``describe`` reads it from the emulator, which serves
Salesforce's documented standard fields (emulators/crm/salesforce_fields.py; sources in
docs/vendors/salesforce.md); ``problems`` is written against the describe JSON alone, so the
check does not lean on the emulator's own validation code.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any
from urllib.parse import urlsplit

from emulators.auth import issue_token_for_tests

TEXT = {"string", "textarea", "email", "phone", "url", "picklist", "combobox", "base64", "id"}
NUMBER = {"double", "currency", "percent", "int", "long"}
REFERENCE = re.compile(r"@\{\w+\.\w+\}")  # a composite reference, resolved by Salesforce
SOBJECT_PATH = re.compile(r"/services/data/v[\d.]+/sobjects/(\w+)(?:/(\w+))?/?$")


def describe(client, sobject: str, account: str = "request-check") -> dict[str, Any]:
    """The emulated org's describe of ``sobject``, as the emulator serves it."""
    token = issue_token_for_tests("salesforce", account, 3600)
    url = f"/emulators/salesforce/services/data/v62.0/sobjects/{sobject}/describe"
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return response.json()


def problems(body: dict[str, Any], schema: dict[str, Any], *, creating: bool) -> list[str]:
    """Why Salesforce would refuse ``body`` for the described object (empty: it fits)."""
    fields = {f["name"]: f for f in schema["fields"]}
    found = []
    for name, value in body.items():
        field = fields.get(name)
        if field is None:
            found.append(f"{name}: no such field")
            continue
        if not field["createable" if creating else "updateable"]:
            found.append(f"{name}: not {'createable' if creating else 'updateable'}")
        found += [f"{name}: {p}" for p in _value_problems(field, value)]
    if creating:
        required = [
            n for n, f in fields.items()
            if f["createable"] and not f["nillable"] and not f["defaultedOnCreate"]
        ]  # fmt: skip
        found += [f"{n}: required" for n in required if body.get(n) in (None, "")]
    return found


def _value_problems(field: dict[str, Any], value: Any) -> list[str]:
    if value is None:
        return [] if field["nillable"] else ["cannot be null"]
    kind = field["type"]
    if kind == "reference":
        ok = isinstance(value, str) and (REFERENCE.fullmatch(value) or len(value) in (15, 18))
    elif kind in TEXT:
        ok = isinstance(value, str)
    elif kind in NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "date":
        ok = isinstance(value, str) and _iso_date(value)
    else:
        return [f"type {kind} not checked here"]
    if not ok:
        return [f"{value!r} is not a {kind}"]
    out = []
    if isinstance(value, str) and field.get("length") and len(value) > field["length"]:
        out.append(f"{len(value)} characters, at most {field['length']}")
    allowed = [v["value"] for v in field.get("picklistValues") or [] if v.get("active", True)]
    if field.get("restrictedPicklist") and value not in allowed:
        out.append(f"{value!r} is not one of {allowed}")
    return out


def _iso_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def sent_writes(calls) -> list[tuple[str, dict[str, Any], bool]]:
    """Every sObject write in recorded ``responses`` calls: (sObject, body, creating), the
    subrequests of a composite call included."""
    writes = []
    for call in calls:
        request = call.request
        path = urlsplit(request.url).path
        if request.method not in ("POST", "PATCH") or not request.body:
            continue
        body = json.loads(request.body)
        if path.endswith("/composite"):
            for sub in body["compositeRequest"]:
                match = SOBJECT_PATH.search(sub["url"])
                writes.append((match.group(1), sub["body"], sub["method"] == "POST"))
        elif (match := SOBJECT_PATH.search(path)) is not None:
            writes.append((match.group(1), body, request.method == "POST"))
    return writes


def assert_requests_fit(client, calls) -> int:
    """Every write among ``calls`` fits the emulated org's describe; returns how many."""
    writes = sent_writes(calls)
    for sobject, body, creating in writes:
        found = problems(body, describe(client, sobject), creating=creating)
        assert not found, f"{sobject} {'create' if creating else 'update'}: {found}"
    return len(writes)
