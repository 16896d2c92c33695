"""A Pipedrive company's person fields: read once a day, and Switchboard's own custom fields
added where the grant allows it.

A company has only Pipedrive's own person fields until someone adds custom ones, and a custom
field is addressed by a per-company 40-character key. The default field map writes "Source
tag", "AI lead score", "AI intent", "Chatbot vendor" and "Chatbot session id"
(``mapping.DEFAULT_FIELD_MAP``); ``ensure`` adds the ones the company lacks through
``POST /api/v2/personFields`` ("Create one person field", pipedrive/client-nodejs v32.2.1
``v2/api/person-fields-api.ts`` ``addPersonField``, body ``AddPersonFieldRequest``; the v2
endpoint exists since client 30.7.0, 2025-12-03, and Pipedrive asks for v2 where it exists:
"Pipedrive API v2 migration guide"; all checked 2026-12-04). That call needs the OAuth scope
``admin`` or ``contact-fields:full`` (the client's ``setOAuthToObject`` list; the narrower
scope since 30.8.0, 2025-12-05). Pipedrive's scopes are set in the app's Marketplace settings,
not asked for in the consent URL; the token answer lists the ones granted ("scope":
"base,deals:full,..."), kept in ``Connection.scopes``. A grant without either scope is not
tried (refused, audited); a connection whose scopes were never recorded asks, and takes a 403
("Scope and URL mismatch") as the answer. A write names only fields the catalogue listed: the
client puts any other value in a note on the person, so nothing the lead said is lost.

What the company has is remembered per connection and connect for a day; ``ensure`` runs once
a day per connection and connect (a reconnect, which may grant more, asks again at once).
"""

from __future__ import annotations

import math
from typing import Any

from django.core.cache import cache

from connectors import crm_support as s
from connectors import locks
from connectors.base import ConnectorError
from connectors.http import VendorHttp
from connectors.pipedrive.mapping import DEFAULT_FIELD_MAP, LABELS_FIELD

KNOWN_S = 24 * 3600
FIELD_CREATE_SCOPES = frozenset({"admin", "contact-fields:full"})
# Pipedrive's own person fields the client writes by key (not custom, never created).
STANDARD = ("name", "first_name", "last_name", "email", "phone", LABELS_FIELD)
# Switchboard's custom person fields: the default map's targets that are not Pipedrive's own.
# Text fields ("varchar", up to 255 characters): v2 does not turn a string into a number.
OWN_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(t for t in DEFAULT_FIELD_MAP.values() if t not in STANDARD)
)
VARCHAR_MAX = 255
SHORT_TEXT = ("varchar", "varchar_auto", "phone")  # up to 255 characters ("text": 65k)
# Changing the company's person fields (labels are a field's options) is one lock.
LOCK = "labels"
LOCK_TTL_S = 30
LOCK_WAIT_S = 15


def _stamp(http: VendorHttp) -> str:
    connection = http.connection
    connected = connection.connected_at.isoformat() if connection.connected_at else ""
    return f"{connection.pk}:{connected}"


class PersonFields:
    """The company's person fields (v1 ``GET /personFields`` rows), shared for a day."""

    def __init__(self, http: VendorHttp) -> None:
        self.http = http
        self.scopes = [str(x) for x in (http.connection.scopes or [])]
        self._rows: list[dict[str, Any]] | None = None

    # --- the catalogue -----------------------------------------------------------------------

    def rows(self, *, fresh: bool = False) -> list[dict[str, Any]]:
        """The fields, read from Pipedrive when ``fresh`` or not known for a day."""
        if fresh or self._rows is None:
            known = None if fresh else cache.get(self._key())
            if known is None:
                known = self._read()
                cache.set(self._key(), known, KNOWN_S)
            self._rows = known
        return self._rows

    def remember(self) -> None:
        """Keep the rows as changed here (a field or label added) for the other workers."""
        if self._rows is not None:
            cache.set(self._key(), self._rows, KNOWN_S)

    def forget(self) -> None:
        """Read the fields again next time (Pipedrive refused a field we thought it had)."""
        cache.delete(self._key())
        self._rows = None

    def _key(self) -> str:
        return f"pipedrive:person-fields:{_stamp(self.http)}"

    def _read(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        params: dict[str, Any] = {"start": 0, "limit": 100}
        while True:
            body = s.obj(self.http.request("GET", "/api/v1/personFields", params=params).json())
            rows += [s.obj(r) for r in s.items(body.get("data"))]
            page = s.obj(s.obj(body.get("additional_data")).get("pagination"))
            if not page.get("more_items_in_collection"):
                return rows
            params["start"] = page.get("next_start")

    def custom(self, name: str) -> dict[str, Any] | None:
        """The custom field with this key or name (the oldest, if two share a name)."""
        for row in self.rows():
            if row.get("edit_flag") and name in (row.get("key"), row.get("name")):
                return row
        return None

    def takes(self, name: str, value: str) -> tuple[str, str | float] | None:
        """The key a custom value goes to and the value as the field takes it, or None when
        the company has no such field or the field cannot hold it (Pipedrive would refuse the
        whole person): longer than a 255-character text field, not a number for a numeric
        field (v2 does not turn strings into numbers), or a field of another kind (options,
        dates, money) an admin made under our name."""
        row = self.custom(name)
        if row is None:
            return None
        key, field_type = s.text(row.get("key")), s.text(row.get("field_type"))
        if field_type == "text" or (field_type in SHORT_TEXT and len(value) <= VARCHAR_MAX):
            return key, value
        if field_type == "double":
            try:
                number = float(value)
            except ValueError:
                return None
            return (key, number) if math.isfinite(number) else None
        return None

    # --- Switchboard's own fields -------------------------------------------------------------

    def ensure(self) -> list[tuple[str, str, list[str]]]:
        """Add Switchboard's person fields the company lacks where the grant allows; returns
        what changed or was refused as (``"created"`` / ``"refused"``, ``"person"``, names),
        for the audit log. Once a day per connection and connect; nothing when all are there."""
        marker = f"pipedrive:fields-ensured:{_stamp(self.http)}"
        if cache.get(marker):
            return []
        changes: list[tuple[str, str, list[str]]] = []
        missing = [n for n in OWN_FIELDS if self.custom(n) is None]
        if missing and self.scopes and FIELD_CREATE_SCOPES.isdisjoint(self.scopes):
            changes.append(("refused", "person", missing))
        elif missing:
            with locks.lock(self.http.connection.pk, LOCK, ttl=LOCK_TTL_S,
                            wait=LOCK_WAIT_S) as acquired:  # fmt: skip
                if not acquired:
                    raise ConnectorError("pipedrive: person fields lock busy", code="lock_busy",
                                         retry_after=5)  # fmt: skip
                self.rows(fresh=True)  # another worker may have added them while we waited
                missing = [n for n in OWN_FIELDS if self.custom(n) is None]
                created, refused = self._create(missing)
                self.remember()
            changes += [(c, "person", n) for c, n in (("created", created),
                                                       ("refused", refused)) if n]  # fmt: skip
        cache.set(marker, True, KNOWN_S)
        return changes

    def _create(self, names: list[str]) -> tuple[list[str], list[str]]:
        created: list[str] = []
        for name in names:
            body = {"field_name": name, "field_type": "varchar",
                    "description": f"Set by Switchboard: {name.lower()}."}  # fmt: skip
            response = self.http.request("POST", "/api/v2/personFields", json=body,
                                         expect=(200, 403))  # fmt: skip
            if response.status_code == 403:  # Scope and URL mismatch: neither scope granted
                return created, [n for n in names if n not in created]
            data = s.obj(s.obj(response.json()).get("data"))
            self._rows = [*self.rows(), {
                "key": s.text(data.get("field_code")), "name": s.text(data.get("field_name")),
                "field_type": s.text(data.get("field_type")) or "varchar",
                "edit_flag": True, "mandatory_flag": False,
            }]  # fmt: skip
            created.append(name)
        return created, []
