"""Which fields a Salesforce write may carry, and the custom fields Switchboard adds.

An org refuses a whole create or update that names one field it does not have (400
``INVALID_FIELD``), and the ``AI_*__c`` fields of our default map exist only where someone
added them. So every Contact write goes through ``fit``: a field the org's describe lists as
createable (or updateable) is written; any other value goes, labelled, to a line of the
standard ``Description`` field. Nothing is lost, and no write depends on a field the catalogue
check has not confirmed.

The describe is read at most once an hour per connection (and per connect): an admin who adds
a field sees it used within the hour; one who removes or hides a field costs a single
refused write, after which the client reads the describe afresh and sends it once more
(``SalesforceClient._fresh_on_refusal``). ``ensure`` adds the missing ``CUSTOM_FIELDS`` through the
Tooling API (``POST /tooling/sobjects/CustomField``; REST-accessible since API 28.0) once per
connect. That needs the connecting user's "Customize Application" permission; without it the
org refuses and the Description lines stay. Salesforce grants a field created through the API
no field-level security, so a new field is used only once an admin gives the integration
user's profile or permission set access and the describe lists it (sources in
docs/vendors/salesforce.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from connectors import crm_support as s
from connectors.http import VendorHttp
from connectors.salesforce.mapping import CUSTOM_FIELDS, TAGS_FIELD

CATALOGUE_KNOWN_S = 3600
ENSURED_KNOWN_S = 86_400
DESCRIPTION_MAX = 32_000  # Contact.Description is a 32,000-character long text area
NUMERIC = frozenset({"double", "currency", "percent", "int", "long"})


@dataclass(frozen=True)
class Field:
    """What a write needs to know of one describe entry."""

    type: str
    length: int
    createable: bool
    updateable: bool
    label: str = ""


def describe(http: VendorHttp, root: str, sobject: str, *, fresh: bool = False) -> dict[str, Field]:
    """The org's fields of ``sobject`` (cached an hour per connection and connect)."""
    key = s.connection_key("salesforce:describe", http.connection, sobject)
    known = None if fresh else cache.get(key)
    if known is None:
        data = s.obj(http.request("GET", f"{root}/sobjects/{sobject}/describe").json())
        known = {
            s.text(f.get("name")): (s.text(f.get("type")), int(f.get("length") or 0),
                                    bool(f.get("createable")), bool(f.get("updateable")),
                                    s.text(f.get("label")))
            for f in map(s.obj, s.items(data.get("fields")))
        }  # fmt: skip
        cache.set(key, known, CATALOGUE_KNOWN_S)
    return {name: Field(*entry) for name, entry in known.items()}


def label_of(name: str, fields: dict[str, Field]) -> str:
    """The org's label for the field, else ours for a custom field we define, else its name."""
    known = fields.get(name)
    return (known.label if known else "") or str(CUSTOM_FIELDS.get(name, {}).get("label") or name)


def fit(
    values: dict[str, Any], fields: dict[str, Field], *, creating: bool, description: str = ""
) -> dict[str, Any]:
    """``values`` as the org takes them: fields it lacks (or will not let us write) become
    ``Label: value`` lines of the Description (merged into ``description``, the current one);
    a text longer than its field is cut to fit, its whole value kept on such a line; a
    number for a numeric field is sent as a number."""
    kept: dict[str, Any] = {}
    lines: dict[str, str] = {}
    for name, value in values.items():
        field = fields.get(name)
        writable = field is not None and (field.createable if creating else field.updateable)
        if name == TAGS_FIELD or (writable and value in (None, "")):
            kept[name] = value  # a field the org has is cleared with null (see _patch)
        elif value in (None, ""):
            continue  # nothing to keep for a field the org lacks
        elif not writable or field is None:
            lines[label_of(name, fields)] = str(value)
        elif field.type in NUMERIC and isinstance(value, str):
            if (number := _number(value)) is None:
                lines[label_of(name, fields)] = value  # not a number: kept as text
            else:
                kept[name] = number
        elif isinstance(value, str) and field.length and len(value) > field.length:
            kept[name] = value[: field.length]
            lines[label_of(name, fields)] = value
        else:
            kept[name] = value
    if lines:
        current = str(kept.get(TAGS_FIELD) or description or "")
        kept[TAGS_FIELD] = with_lines(current, lines)
    return kept


def _number(value: str) -> int | float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def with_lines(description: str, lines: dict[str, str]) -> str:
    """The description with one ``Label: value`` line per entry, replacing a line of the same
    label, other lines kept in order; capped at the field's length."""
    prefixes = tuple(f"{label}: " for label in lines)
    kept = [ln for ln in description.splitlines() if not ln.startswith(prefixes)]
    added = [f"{label}: {' '.join(value.split())}" for label, value in lines.items()]
    return "\n".join([*kept, *added])[:DESCRIPTION_MAX]


def _outcome(response: Any) -> str:
    """A field of that name exists but the describe hides it (no field-level access) when the
    org answers DUPLICATE_DEVELOPER_NAME; any other refusal is a refusal."""
    if response.status_code == 201:
        return "created"
    codes = {s.text(s.obj(e).get("errorCode")) for e in s.items(s.json_of(response))}
    return "hidden" if "DUPLICATE_DEVELOPER_NAME" in codes else "refused"


def ensure(http: VendorHttp, root: str, wanted: Iterable[str]) -> dict[str, list[str]]:
    """Add the ``CUSTOM_FIELDS`` among ``wanted`` that the org's Contact lacks, once per
    connect (a day at most). Returns what changed, for the audit log: ``created`` (the org
    took the definition), ``refused`` (it would not: no permission, or the Tooling API is off),
    ``hidden`` (created, but the describe does not list it: no field-level access yet);
    empty when there was nothing to do or the question was already asked."""
    key = s.connection_key("salesforce:ensured", http.connection)
    if cache.get(key):
        return {}
    have = describe(http, root, "Contact")
    missing = [n for n in dict.fromkeys(wanted) if n in CUSTOM_FIELDS and n not in have]
    changes: dict[str, list[str]] = {}
    for name in missing:
        if changes.get("refused"):
            changes["refused"].append(name)  # the first refusal stands for the rest
            continue
        definition = {"FullName": f"Contact.{name}", "Metadata": CUSTOM_FIELDS[name]}
        response = http.request(
            "POST", f"{root}/tooling/sobjects/CustomField", json=definition,
            expect=(201, 400, 403, 404),
        )  # fmt: skip
        changes.setdefault(_outcome(response), []).append(name)
    if changes.get("created"):
        now = describe(http, root, "Contact", fresh=True)
        hidden = [n for n in changes["created"] if n not in now]
        if hidden:
            changes["hidden"] = [*changes.get("hidden", []), *hidden]
    cache.set(key, True, ENSURED_KNOWN_S)
    return changes
