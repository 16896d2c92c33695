"""Zoho CRM v8 client: Contacts, Deals, Notes, tags, field metadata (wire format only).

Quirks handled here: the API host is the account's data centre (``api_domain``, via the
connection's API base); the header is ``Zoho-oauthtoken``; a search that finds nothing is
**204 with no body**; writes answer per record (``code``/``status``/``details``), so a 201 or
207 can still carry a failed record, and a 400 may be one record's error.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.core.cache import cache

from connectors import crm_support as s
from connectors.base import ConnectorError, CrmContact, CrmField, CrmRecord
from connectors.http import VendorHttp
from connectors.models import Connection
from connectors.zoho.mapping import (
    COMPANY_FIELD,
    COMPANY_FIELD_DEFINITION,
    LEFTOVER_FIELD,
    MISSING_LAST_NAME,
    SOURCE_TAG_FIELD,
    TAGS_FIELD,
)
from connectors.zoho.meetings import ZohoMeetings
from connectors.zoho.people import ZohoPeople

ROOT = "/crm/v8"
# Standard Contacts fields every org has: what searches and scans read.
CONTACT_FIELDS = ("First_Name", "Last_Name", "Email", "Phone", "Mobile")
MODULES = {
    "contact": "Contacts", "lead": "Leads", "deal": "Deals", "note": "Notes", "meeting": "Events",
}  # fmt: skip
WRITE_STATUSES = (200, 201, 202, 207, 400)
# Creating a custom field needs one of these (Zoho CRM v8 "Create Custom Fields",
# https://www.zoho.com/crm/developer/docs/api/v8/create-custom-field.html, checked 2026-12-04).
FIELD_CREATE_SCOPES = frozenset(
    {"ZohoCRM.settings.fields.CREATE", "ZohoCRM.settings.fields.ALL", "ZohoCRM.settings.ALL"}
)
FIELDS_KNOWN_S = 24 * 3600  # a refused field create is asked again about daily
CATALOGUE_KNOWN_S = 3600  # the fields metadata, per connection and connect


def _contact_record(row: dict[str, Any]) -> CrmRecord:
    fields = {k: s.text(v) for k, v in row.items() if not isinstance(v, dict | list)}
    fields[TAGS_FIELD] = ";".join(s.text(s.obj(t).get("name")) for t in s.items(row.get("Tag")))
    contact = CrmContact(
        email=fields.get("Email", ""),
        phone=fields.get("Phone", "") or fields.get("Mobile", ""),
        first_name=fields.get("First_Name", ""),
        last_name=fields.get("Last_Name", ""),
        company=fields.get(COMPANY_FIELD, ""),
    )
    return CrmRecord(id=fields.get("id", ""), object_type="contact", fields=fields, contact=contact)


class DuplicateRecord(ConnectorError):
    """Zoho's DUPLICATE_DATA: a unique field's value is held by ``record_id`` already."""

    def __init__(self, record_id: str, field: str) -> None:
        super().__init__(f"zoho: {field} is held by record {record_id}", status=400,
                         code="DUPLICATE_DATA", permanent=True)  # fmt: skip
        self.record_id = record_id


def _one_result(body: Any, status: int) -> dict[str, Any]:
    """The first per-record result of a write, or ConnectorError with Zoho's own code."""
    entries = s.items(s.obj(body).get("data"))
    if not entries:  # a request-level error: {"code","details","message","status":"error"}
        top = s.obj(body)
        raise s.vendor_error(
            f"zoho {status}: {s.text(top.get('message'))} {s.text(top.get('details'))[:200]}",
            status=status,
            code=s.text(top.get("code")) or f"http_{status}",
        )
    entry = s.obj(entries[0])
    held_by = s.obj(s.obj(entry.get("details")).get("duplicate_record")).get("id")
    if entry.get("code") == "DUPLICATE_DATA" and held_by:
        raise DuplicateRecord(s.text(held_by), s.text(s.obj(entry.get("details")).get("api_name")))
    if entry.get("status") != "success":
        raise s.vendor_error(
            f"zoho {status}: {s.text(entry.get('message'))} {s.text(entry.get('details'))[:200]}",
            status=status,
            code=s.text(entry.get("code")) or "INVALID_DATA",
        )
    return s.obj(entry.get("details"))


def _too_long(field: dict[str, Any], value: Any) -> bool:
    """A text value longer than the field's ``length`` in the fields metadata."""
    length = field.get("length")
    return isinstance(length, int) and isinstance(value, str) and len(value) > length


def _criteria_value(value: str) -> str:
    """A search-criteria value: Zoho wants parentheses, commas and backslashes escaped."""
    return "".join("\\" + c if c in "\\()," else c for c in value)


class ZohoClient(ZohoMeetings, ZohoPeople):
    """``CrmClient`` for Zoho CRM v8; every method raises ``ConnectorError``."""

    def __init__(self, http: VendorHttp) -> None:
        self.http = http
        self._catalogues: dict[str, dict[str, dict[str, Any]]] = {}

    # --- the org's fields (fields metadata): a write only names fields confirmed there -----

    def _catalogue_key(self, module: str) -> str:
        return s.connection_key("zoho:fields", self.http.connection, module)

    def _catalogue(self, module: str) -> dict[str, dict[str, Any]]:
        """The module's fields by API name (``/settings/fields``), kept an hour per connection
        and connect: a client is built per job, and reading the metadata on every lead would
        cost two calls of the org's daily API credits per lead. An admin's new field or
        option is used within the hour (as Salesforce's describe, ``salesforce.fields``)."""
        if module not in self._catalogues:
            known = cache.get(self._catalogue_key(module))
            if known is None:
                response = self.http.request(
                    "GET", f"{ROOT}/settings/fields", params={"module": module}
                )
                rows = map(s.obj, s.items(s.obj(response.json()).get("fields")))
                known = {s.text(r.get("api_name")): r for r in rows}
                cache.set(self._catalogue_key(module), known, CATALOGUE_KNOWN_S)
            self._catalogues[module] = known
        return self._catalogues[module]

    def _forget_catalogue(self, module: str) -> None:
        self._catalogues.pop(module, None)
        cache.delete(self._catalogue_key(module))

    def _takes(self, module: str, name: str, value: Any) -> bool:
        """The org has this field, an optional picklist has this value among its options, and
        an optional field is long enough for it (Zoho refuses the whole record otherwise)."""
        field = self._catalogue(module).get(name)
        if field is None:
            return False
        if field.get("system_mandatory"):
            return True  # a mandatory value (a deal's Stage) is Zoho's to refuse, not ours
        if _too_long(field, value):
            return False
        if field.get("data_type") != "picklist":
            return True
        options = [s.obj(o) for o in s.items(field.get("pick_list_values"))]
        return any(value in (o.get("display_value"), o.get("actual_value")) for o in options)

    def _fit(self, module: str, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """``values`` without the fields (or picklist values, or lengths) the org does not
        have. On a create they are kept as "Label: value" lines in the standard
        ``Description``, so what the lead said is not lost; an update leaves them out (nothing
        is overwritten). A mandatory text too long for its field is cut to fit, and kept whole
        in ``Description`` too."""
        kept = {k: v for k, v in values.items() if self._takes(module, k, v)}
        left = {k: v for k, v in values.items() if k not in kept}
        for name, value in list(kept.items()):
            field = self._catalogue(module)[name]
            if _too_long(field, value):
                kept[name] = value[: int(field["length"])]
                left[name] = value
        if left and creating and self._takes(module, LEFTOVER_FIELD, ""):
            lines = [s.text(kept.get(LEFTOVER_FIELD))] if kept.get(LEFTOVER_FIELD) else []
            lines += [f"{k.replace('_', ' ')}: {s.text(v)}" for k, v in left.items()]
            kept[LEFTOVER_FIELD] = "\n".join(lines)
        return kept

    def ensure_fields(
        self, object_type: str = "contact", wanted: Sequence[str] = ()
    ) -> list[tuple[str, str, list[str]]]:
        """Add the custom Contacts field the company goes to (``COMPANY_FIELD``) where Zoho
        lets the app: the grant has a field-create scope and the user may customise the org.
        Returns what changed or was refused, for the caller's audit log, as (``"created"`` or
        ``"refused"``, module, field names); nothing when the field is there, for deals, or
        when a refusal was reported less than a day ago. Without the field, the company is
        written to a standard field instead (``_fit``). ``wanted`` (the mapping's
        targets) is not used: the fields Switchboard adds here are its own."""
        if object_type != "contact" or COMPANY_FIELD in self._catalogue("Contacts"):
            return []
        connection = self.http.connection
        name = s.connection_key("zoho:fields-refused", connection)
        if cache.get(name):
            return []
        refused = [("refused", "Contacts", [COMPANY_FIELD])]
        if FIELD_CREATE_SCOPES.isdisjoint(connection.scopes or ()):
            cache.set(name, True, FIELDS_KNOWN_S)
            return refused
        created = self._create_company_field()
        self._forget_catalogue("Contacts")  # read again: created, or made a moment ago
        if COMPANY_FIELD in self._catalogue("Contacts"):  # []: another worker made it
            return [("created", "Contacts", [COMPANY_FIELD])] if created else []
        cache.set(name, True, FIELDS_KNOWN_S)
        return refused

    def _create_company_field(self) -> bool:
        """One field-create call; True when Zoho answered that it created the field."""
        try:
            response = self.http.request(
                "POST", f"{ROOT}/settings/fields", params={"module": "Contacts"},
                json={"fields": [COMPANY_FIELD_DEFINITION]}, expect=(200, 201, 400, 403),
            )  # fmt: skip
        except ConnectorError as exc:
            if exc.status != 401:  # OAUTH_SCOPE_MISMATCH after a refresh: refused, not broken
                raise
            return False
        if response.status_code not in (200, 201):  # 403 NO_PERMISSION, 400 DUPLICATE_DATA
            return False
        entries = s.items(s.obj(response.json()).get("fields"))
        return bool(entries) and s.obj(entries[0]).get("status") == "success"

    def _write(self, method: str, path: str, record: dict[str, Any]) -> dict[str, Any]:
        module = path[len(ROOT) + 1 :].split("/")[0]
        if module in ("Contacts", "Deals"):
            record = self._fit(module, record, creating=method == "POST")
        body = {"data": [record], "trigger": ["workflow"]}
        response = self.http.request(method, path, json=body, expect=WRITE_STATUSES)
        try:
            return _one_result(s.json_of(response), response.status_code)
        except DuplicateRecord:
            raise
        except ConnectorError:
            # A refused record may name a field or option an admin removed since the
            # metadata was read: the next write reads it again.
            self._forget_catalogue(module)
            raise

    def _get(self, module: str, record_id: str) -> dict[str, Any] | None:
        response = self.http.request("GET", f"{ROOT}/{module}/{record_id}", expect=(200, 204))
        rows = s.items(s.obj(s.json_of(response)).get("data"))
        return s.obj(rows[0]) if rows else None

    def _require(self, module: str, record_id: str) -> dict[str, Any]:
        row = self._get(module, record_id)
        if row is None:
            raise ConnectorError(f"zoho: {module} {record_id} not found", status=204,
                                 code="NOT_FOUND", permanent=True)  # fmt: skip
        return row

    # --- contacts ---------------------------------------------------------------------------

    def find_contact(self, *, email: str = "", phone: str = "") -> CrmRecord | None:
        # ``email=`` and ``phone=`` are Zoho's own search keys; ``phone`` looks in every phone
        # field of the module. Nothing found is 204 with an empty body.
        for key, value in (("email", email.strip().lower()), ("phone", phone.strip())):
            if not value:
                continue
            params = {key: value, "fields": ",".join(CONTACT_FIELDS), "per_page": 1}
            response = self.http.request(
                "GET", f"{ROOT}/Contacts/search", params=params, expect=(200, 204)
            )
            rows = s.items(s.obj(s.json_of(response)).get("data"))
            if rows:
                return _contact_record(s.obj(rows[0]))
        return None

    def create_contact(self, contact: CrmContact, *, source_tag: str) -> CrmRecord:
        values = {
            "First_Name": contact.first_name,
            "Last_Name": contact.last_name or MISSING_LAST_NAME,
            "Email": contact.email.lower(),
            "Phone": contact.phone,
            COMPANY_FIELD: contact.company,
            SOURCE_TAG_FIELD: source_tag,
            **contact.extra,
        }
        values = {k: v for k, v in values.items() if v}
        if contact.company and COMPANY_FIELD not in self._catalogue("Contacts"):
            self.ensure_fields()  # the sync audits it beforehand; a plain call still tries
        try:
            details = self._write("POST", f"{ROOT}/Contacts", values)
        except DuplicateRecord as duplicate:
            # An org that made Email unique names the contact that has it (a search lagging
            # behind a create): update that one and report it as existing, with what it had.
            changes = {k: v for k, v in values.items() if v != MISSING_LAST_NAME}
            previous = self.update_contact(duplicate.record_id, changes)
            return CrmRecord(id=duplicate.record_id, object_type="contact",
                             fields=previous.fields, contact=contact, existed=True)  # fmt: skip
        return CrmRecord(
            id=s.text(details.get("id")), object_type="contact", fields=values, contact=contact
        )

    def update_contact(self, record_id: str, values: dict[str, str]) -> CrmRecord:
        current = self._require("Contacts", record_id)
        self._write("PUT", f"{ROOT}/Contacts/{record_id}", dict(values))
        previous = {name: s.text(current.get(name)) for name in values}
        return CrmRecord(id=record_id, object_type="contact", fields=previous)

    # --- deals and notes ------------------------------------------------------------------------

    def create_deal(
        self,
        *,
        contact_id: str,
        name: str,
        stage: str,
        amount: str = "",
        source_tag: str = "",
        write_key: str = "",
    ) -> CrmRecord:
        """``write_key`` is not used: this vendor has no upsert by a key we can count on having
        (a re-run looks with ``find_deal`` first)."""
        values: dict[str, Any] = {"Deal_Name": name, "Stage": stage,
                                  "Contact_Name": {"id": contact_id}}  # fmt: skip
        if amount:
            values["Amount"] = float(amount)
        if source_tag:
            values[SOURCE_TAG_FIELD] = source_tag
        details = self._write("POST", f"{ROOT}/Deals", values)
        fields = {"Deal_Name": name, "Stage": stage, "Contact_Name": contact_id}
        return CrmRecord(id=s.text(details.get("id")), object_type="deal", fields=fields)

    def find_deal(self, *, contact_id: str, name: str, source_tag: str = "") -> CrmRecord | None:
        """Search Deals by name (and Lead_Source) criteria; keep the one whose Contact_Name
        lookup is the contact (nothing found is 204)."""
        criteria = f"(Deal_Name:equals:{_criteria_value(name)})"
        if source_tag and self._takes("Deals", SOURCE_TAG_FIELD, source_tag):
            criteria = f"({criteria}and({SOURCE_TAG_FIELD}:equals:{_criteria_value(source_tag)}))"
        params = {"criteria": criteria, "fields": "Deal_Name,Stage,Contact_Name", "per_page": 200}
        response = self.http.request(
            "GET", f"{ROOT}/Deals/search", params=params, expect=(200, 204)
        )
        for row in map(s.obj, s.items(s.obj(s.json_of(response)).get("data"))):
            if s.text(s.obj(row.get("Contact_Name")).get("id")) == contact_id:
                fields = {"Deal_Name": s.text(row.get("Deal_Name")), "Contact_Name": contact_id,
                          "Stage": s.text(row.get("Stage"))}  # fmt: skip
                return CrmRecord(id=s.text(row.get("id")), object_type="deal", fields=fields)
        return None

    def move_deal(self, deal_id: str, stage: str) -> CrmRecord:
        previous = s.text(self._require("Deals", deal_id).get("Stage"))
        self._write("PUT", f"{ROOT}/Deals/{deal_id}", {"Stage": stage})
        return CrmRecord(id=deal_id, object_type="deal", fields={"Stage": previous})

    def add_note(self, *, contact_id: str, body: str) -> CrmRecord:
        title = (body.strip().splitlines() or ["Chatbot conversation"])[0][:120]
        note = {
            "Note_Title": title,
            "Note_Content": body,
            "Parent_Id": {"module": {"api_name": "Contacts"}, "id": contact_id},
        }
        details = self._write("POST", f"{ROOT}/Notes", note)
        return CrmRecord(id=s.text(details.get("id")), object_type="note",
                         fields={"Note_Title": title})  # fmt: skip

    def find_note(self, *, contact_id: str, body: str) -> CrmRecord | None:
        """The contact's Notes related list (one page of 200), matched on the content."""
        params = {"fields": "Note_Title,Note_Content", "per_page": 200}
        response = self.http.request(
            "GET", f"{ROOT}/Contacts/{contact_id}/Notes", params=params, expect=(200, 204)
        )
        for row in map(s.obj, s.items(s.obj(s.json_of(response)).get("data"))):
            if s.text(row.get("Note_Content")) == body:
                return CrmRecord(id=s.text(row.get("id")), object_type="note",
                                 fields={"Note_Title": s.text(row.get("Note_Title"))})  # fmt: skip
        return None

    def delete(self, object_type: str, record_id: str) -> None:
        response = self.http.request(
            "DELETE", f"{ROOT}/{MODULES[object_type]}/{record_id}", expect=(200, 204, 400)
        )
        if response.status_code != 400:
            return
        entry = s.obj((s.items(s.obj(s.json_of(response)).get("data")) or [{}])[0])
        if entry.get("code") != "INVALID_DATA":  # INVALID_DATA for the id: already gone
            _one_result(s.json_of(response), 400)

    # --- catalogue, tags, undo, scans ------------------------------------------------------------

    def field_catalogue(self, object_type: str = "contact") -> list[CrmField]:
        response = self.http.request(
            "GET", f"{ROOT}/settings/fields", params={"module": MODULES[object_type]}
        )
        return [
            CrmField(
                name=s.text(f.get("api_name")),
                label=s.text(f.get("field_label") or f.get("display_label")),
                type=s.text(f.get("data_type")) or "text",
                required=bool(f.get("system_mandatory")),
                custom=bool(f.get("custom_field")),
            )
            for f in map(s.obj, s.items(s.obj(response.json()).get("fields")))
        ]

    def _tags(self, record_id: str) -> list[str]:
        row = self._require("Contacts", record_id)
        return [s.text(s.obj(t).get("name")) for t in s.items(row.get(TAGS_FIELD))]

    def _tag_action(self, record_id: str, action: str, names: list[str]) -> None:
        path = f"{ROOT}/Contacts/{record_id}/actions/{action}"
        body = {"tags": [{"name": n} for n in names]}
        response = self.http.request("POST", path, json=body, expect=WRITE_STATUSES)
        _one_result(s.json_of(response), response.status_code)

    def tag_contact(self, record_id: str, tags: list[str]) -> CrmRecord:
        previous = self._tags(record_id)
        new = [t for t in s.merge_tags(previous, tags) if t not in previous]
        if new:
            self._tag_action(record_id, "add_tags", new)
        return CrmRecord(id=record_id, object_type="contact",
                         fields={TAGS_FIELD: ";".join(previous)})  # fmt: skip

    def restore_fields(self, object_type: str, record_id: str, values: dict[str, str]) -> None:
        module = MODULES[object_type]
        if self._get(module, record_id) is None:
            return  # gone: nothing to restore
        values = dict(values)
        if TAGS_FIELD in values:
            keep = set(s.split_tags(values.pop(TAGS_FIELD)))
            extra = [t for t in self._tags(record_id) if t not in keep]
            if extra:
                self._tag_action(record_id, "remove_tags", extra)
        if values:
            self._write("PUT", f"{ROOT}/{module}/{record_id}", values)

    def iter_contacts(self, page_size: int = 200) -> Iterator[CrmRecord]:
        params: dict[str, Any] = {"fields": ",".join(CONTACT_FIELDS),
                                  "per_page": max(1, min(page_size, 200)), "page": 1}  # fmt: skip
        while True:
            response = self.http.request("GET", f"{ROOT}/Contacts", params=params,
                                         expect=(200, 204))  # fmt: skip
            body = s.obj(s.json_of(response))
            for row in s.items(body.get("data")):
                yield _contact_record(s.obj(row))
            info = s.obj(body.get("info"))
            if not info.get("more_records"):
                return
            # Past 2,000 records Zoho wants page_token instead of page numbers.
            token = s.text(info.get("next_page_token"))
            if token:
                params.pop("page", None)
                params["page_token"] = token
            else:
                params["page"] = int(params.get("page", 1)) + 1


def build(connection: Connection) -> ZohoClient:
    return ZohoClient(s.make_http(connection))
