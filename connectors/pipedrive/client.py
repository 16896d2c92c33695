"""Pipedrive client: v2 persons, deals, stages and search; v1 notes and person fields.

Quirks handled here: persons carry ``emails``/``phones`` as ``[{value, primary, label}]``;
custom fields live under ``custom_fields`` keyed by a per-company hash (resolved by name from
``/v1/personFields``; a value goes there only when the company has the field, else to a note:
``fields.py``); v2 pages with ``additional_data.next_cursor``, v1 with ``start``; search needs
``exact_match=true`` to be a lookup rather than a fuzzy match; notes are still v1 and take HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from django.core.cache import cache

from connectors import crm_support as s
from connectors import locks
from connectors.base import ConnectorError, CrmContact, CrmField, CrmRecord
from connectors.http import VendorHttp
from connectors.models import Connection
from connectors.pipedrive.fields import PersonFields
from connectors.pipedrive.mapping import LABELS_FIELD, SOURCE_TAG_FIELD
from connectors.pipedrive.meetings import PipedriveMeetings, meeting_restore_body
from connectors.pipedrive.people import PipedrivePeople

PATHS = {
    "contact": "/api/v2/persons", "deal": "/api/v2/deals", "note": "/api/v1/notes",
    "meeting": "/api/v2/activities",
}  # fmt: skip
# Adding labels is one quick call; a holder that died frees the lock after the TTL.
# The company's stages (name -> id), remembered per connection and connect like its person
# fields (``fields.PersonFields``); a name not among them reads them again once (an admin
# added or renamed a stage). An hour, not a day: a stage deleted and made again gets a new id.
STAGES_KNOWN_S = 3600
T = TypeVar("T")
LABELS_LOCK_TTL_S = 30
LABELS_LOCK_WAIT_S = 15
BUILTIN = ("name", "first_name", "last_name", "email", "phone", LABELS_FIELD)
LEFTOVER_NOTE = "Switchboard kept these here: this Pipedrive company has no person field for them."
# v2 person bodies have ``name`` only: Pipedrive derives first and last names from it and
# refuses them in a body ("Parameter 'first_name' is not allowed for this request",
# ERR_SCHEMA_VALIDATION_FAILED; pipedrive/client-nodejs v32.2.1 AddPersonRequest, checked
# 2026-12-04). We write them by writing the whole name.
NAME_PARTS = ("first_name", "last_name")


def _primary(entries: Any) -> str:
    rows = [s.obj(e) for e in s.items(entries)]
    first = next((r for r in rows if r.get("primary")), rows[0] if rows else {})
    return s.text(first.get("value"))


def _person_record(row: dict[str, Any]) -> CrmRecord:
    fields = {
        "name": s.text(row.get("name")),
        "first_name": s.text(row.get("first_name")),
        "last_name": s.text(row.get("last_name")),
        "email": _primary(row.get("emails")),
        "phone": _primary(row.get("phones")),
        LABELS_FIELD: ",".join(s.text(i) for i in s.items(row.get(LABELS_FIELD))),
        **{k: s.text(v) for k, v in s.obj(row.get("custom_fields")).items()},
    }
    contact = CrmContact(
        email=fields["email"],
        phone=fields["phone"],
        first_name=fields["first_name"],
        last_name=fields["last_name"],
    )
    return CrmRecord(id=s.text(row.get("id")), object_type="contact", fields=fields,
                     contact=contact)  # fmt: skip


def _one(value: str) -> list[dict[str, Any]]:
    return [{"value": value, "primary": True, "label": "work"}] if value else []


def _note_html(body: str) -> str:
    return html.escape(body).replace("\n", "<br>")


def _note_text(content: str) -> str:
    """A note's HTML as plain text with whitespace collapsed, for comparing contents."""
    tagless = re.sub(r"<[^>]+>", " ", content)  # before unescaping: "&lt;" is text
    return " ".join(html.unescape(tagless).split())


class PipedriveClient(PipedriveMeetings, PipedrivePeople):
    """``CrmClient`` for Pipedrive; every method raises ``ConnectorError``."""

    def __init__(self, http: VendorHttp) -> None:
        self.http = http
        self.fields = PersonFields(http)

    def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        return s.obj(self.http.request(method, path, **kwargs).json()).get("data")

    # --- person fields (custom field keys, labels) --------------------------------------------

    def _person_fields(self) -> list[dict[str, Any]]:
        return self.fields.rows()

    def ensure_fields(
        self, object_type: str = "contact", wanted: Sequence[str] = ()
    ) -> list[tuple[str, str, list[str]]]:
        """Add Switchboard's custom person fields the company lacks where the grant allows
        (``fields.PersonFields.ensure``); (change, "person", names) for the audit log. Deals
        carry no custom field of ours: nothing to do for them. ``wanted`` (the mapping's
        targets) is not used: the fields Switchboard adds here are its own."""
        return self.fields.ensure() if object_type == "contact" else []

    def _person_body(
        self, values: dict[str, str], current: CrmRecord | None = None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """A v2 person body (AddPersonRequest) for ``values``, and the values it leaves out
        because the company has no custom field for them (or the field is too short); first
        and last names become ``name``, completed from ``current`` (the person as it is)
        when only one is given."""
        body: dict[str, Any] = {}
        left: dict[str, str] = {}
        custom: dict[str, str | float] = {}
        parts = [n for n in NAME_PARTS if n in values]
        if parts and "name" not in values:
            now = current.fields if current is not None else {}
            whole = " ".join(values.get(n, now.get(n, "")).strip() for n in NAME_PARTS)
            body["name"] = whole.strip()
        for name, value in values.items():
            if name in NAME_PARTS:
                continue
            if name == "email":
                body["emails"] = _one(value)
            elif name == "phone":
                body["phones"] = _one(value)
            elif name == LABELS_FIELD:
                body[LABELS_FIELD] = [int(i) for i in s.split_tags(value, ",")]
            elif name in BUILTIN:
                body[name] = value
            elif (taken := self.fields.takes(name, value)) is not None:
                custom[taken[0]] = taken[1]
            else:
                left[name] = value
        if custom:
            body["custom_fields"] = custom
        return body, left

    def _write_person(
        self, method: str, path: str, values: dict[str, str], current: CrmRecord | None = None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Send a person create or update; returns the answer's person and the values no
        field took. A 400 for a body with custom fields may mean one was deleted since the
        catalogue was read (it is kept a day): read it again and send once more."""
        body, left = self._person_body(values, current)
        try:
            return s.obj(self._data(method, path, json=body)), left
        except ConnectorError as exc:
            if exc.status != 400 or "custom_fields" not in body:
                raise
        self.fields.forget()
        body, left = self._person_body(values, current)
        return s.obj(self._data(method, path, json=body)), left

    def _keep_left(self, person_id: str, left: dict[str, str]) -> None:
        """Values no person field took, as lines of a note on the person: nothing is lost."""
        if left:
            lines = [LEFTOVER_NOTE, *(f"{name}: {value}" for name, value in left.items())]
            self.add_note(contact_id=person_id, body="\n".join(lines))

    # --- contacts ---------------------------------------------------------------------------

    def _search(self, field: str, term: str) -> CrmRecord | None:
        params = {"term": term, "fields": field, "exact_match": "true", "limit": 1}
        found = s.items(s.obj(self._data("GET", "/api/v2/persons/search", params=params)).get(
            "items"))  # fmt: skip
        if not found:
            return None
        person_id = s.text(s.obj(s.obj(found[0]).get("item")).get("id"))
        return _person_record(s.obj(self._data("GET", f"/api/v2/persons/{person_id}")))

    def find_contact(self, *, email: str = "", phone: str = "") -> CrmRecord | None:
        if email.strip():
            found = self._search("email", email.strip().lower())
            if found is not None:
                return found
        return self._search("phone", phone.strip()) if phone.strip() else None

    def create_contact(self, contact: CrmContact, *, source_tag: str) -> CrmRecord:
        name = f"{contact.first_name} {contact.last_name}".strip() or contact.email or contact.phone
        values = {
            "name": name,
            "email": contact.email.lower(),
            "phone": contact.phone,
            **contact.extra,
        }
        if source_tag and self.fields.custom(SOURCE_TAG_FIELD) is not None:
            values[SOURCE_TAG_FIELD] = source_tag  # else the labels carry it (tag_contact)
        values = {k: v for k, v in values.items() if v}
        person, left = self._write_person("POST", "/api/v2/persons", values)
        record = _person_record(person)
        self._keep_left(record.id, left)
        return record

    def update_contact(self, record_id: str, values: dict[str, str]) -> CrmRecord:
        current = _person_record(s.obj(self._data("GET", f"/api/v2/persons/{record_id}")))
        _, left = self._write_person("PATCH", f"/api/v2/persons/{record_id}", values, current)
        self._keep_left(record_id, left)
        previous = {}
        for name, value in values.items():
            if name in left:
                continue  # not written: nothing to put back
            taken = None if name in BUILTIN else self.fields.takes(name, value)
            previous[name] = current.fields.get(taken[0] if taken else name, "")
        return CrmRecord(id=record_id, object_type="contact", fields=previous)

    # --- deals and notes ------------------------------------------------------------------------

    def _stage_id(self, stage: str) -> int:
        """A stage's id from its id or its name: the company's stages as remembered
        (``STAGES_KNOWN_S``), read again once when the name is not among them."""
        if stage.isdigit():
            return int(stage)
        key = self._stages_key()
        known = cache.get(key)
        if known is None or stage.lower() not in known:
            known = self._stages()
            cache.set(key, known, STAGES_KNOWN_S)
        if stage.lower() in known:
            return int(known[stage.lower()])
        raise ConnectorError(f"pipedrive: no stage named {stage!r}", code="unknown_stage",
                             permanent=True)  # fmt: skip

    def _stages_key(self) -> str:
        return s.connection_key("pipedrive:stages", self.http.connection)

    def _staged(self, stage: str, write: Callable[[int], T]) -> T:
        """``write`` with the stage's id; if Pipedrive refuses it (400) and the stage was named,
        the remembered id may be of a stage deleted since (one made again under the same
        name has a new id): the stages are read again and, if the name now has another id,
        the write is sent once more. Otherwise the refusal stands."""
        stage_id = self._stage_id(stage)
        try:
            return write(stage_id)
        except ConnectorError as exc:
            if exc.status != 400 or stage.isdigit():
                raise
            refused = exc
        cache.delete(self._stages_key())
        fresh = self._stage_id(stage)  # a stage gone by that name is ``unknown_stage``
        if fresh == stage_id:
            raise refused
        return write(fresh)

    def _stages(self) -> dict[str, int]:
        """Every stage, lower-cased name -> id, over every page of v2 stages (cursor-paged,
        100 a page unless ``limit`` says otherwise, at most 500); the first of a name wins."""
        stages: dict[str, int] = {}
        params: dict[str, Any] = {"limit": 500}
        while True:
            body = s.obj(self.http.request("GET", "/api/v2/stages", params=params).json())
            for row in map(s.obj, s.items(body.get("data"))):
                stages.setdefault(s.text(row.get("name")).lower(), int(row["id"]))
            cursor = s.obj(body.get("additional_data")).get("next_cursor")
            if not cursor:
                return stages
            params["cursor"] = s.text(cursor)

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
        body: dict[str, Any] = {"title": name, "person_id": int(contact_id)}
        if amount:
            body["value"] = float(amount)
        deal = s.obj(
            self._staged(
                stage, lambda i: self._data("POST", "/api/v2/deals", json={**body, "stage_id": i})
            )
        )
        fields = {"title": name, "stage_id": s.text(deal.get("stage_id"))}
        return CrmRecord(id=s.text(deal.get("id")), object_type="deal", fields=fields)

    def find_deal(self, *, contact_id: str, name: str, source_tag: str = "") -> CrmRecord | None:
        """The person's deals (v2 list filtered by ``person_id``, cursor pages), matched on the
        title. Pipedrive deals carry no source tag of ours, so ``source_tag`` is not used."""
        params: dict[str, Any] = {"person_id": int(contact_id), "limit": 500}
        while True:
            body = s.obj(self.http.request("GET", "/api/v2/deals", params=params).json())
            for row in map(s.obj, s.items(body.get("data"))):
                if s.text(row.get("title")) == name:
                    fields = {"title": name, "stage_id": s.text(row.get("stage_id"))}
                    return CrmRecord(id=s.text(row.get("id")), object_type="deal", fields=fields)
            cursor = s.obj(body.get("additional_data")).get("next_cursor")
            if not cursor:
                return None
            params["cursor"] = s.text(cursor)

    def move_deal(self, deal_id: str, stage: str) -> CrmRecord:
        previous = s.text(s.obj(self._data("GET", f"/api/v2/deals/{deal_id}")).get("stage_id"))
        self._staged(
            stage, lambda i: self._data("PATCH", f"/api/v2/deals/{deal_id}", json={"stage_id": i})
        )
        return CrmRecord(id=deal_id, object_type="deal", fields={"stage_id": previous})

    def add_note(self, *, contact_id: str, body: str) -> CrmRecord:
        content = _note_html(body)
        payload = {"content": content, "person_id": int(contact_id)}
        note = s.obj(self._data("POST", "/api/v1/notes", json=payload))
        return CrmRecord(id=s.text(note.get("id")), object_type="note", fields={"content": content})

    def find_note(self, *, contact_id: str, body: str) -> CrmRecord | None:
        """The person's notes (v1 list filtered by ``person_id``, newest first, one page of
        500) whose content, read as text, is this body (Pipedrive may rewrite the HTML)."""
        params = {"person_id": int(contact_id), "sort": "add_time DESC", "limit": 500}
        for row in map(s.obj, s.items(self._data("GET", "/api/v1/notes", params=params))):
            if _note_text(s.text(row.get("content"))) == _note_text(_note_html(body)):
                return CrmRecord(id=s.text(row.get("id")), object_type="note",
                                 fields={"content": s.text(row.get("content"))})  # fmt: skip
        return None

    def delete(self, object_type: str, record_id: str) -> None:
        self.http.request("DELETE", f"{PATHS[object_type]}/{record_id}", expect=(200, 404, 410))

    # --- catalogue, tags, undo, scans ------------------------------------------------------------

    def field_catalogue(self, object_type: str = "contact") -> list[CrmField]:
        if object_type != "contact":
            raise ConnectorError(f"pipedrive: no field catalogue for {object_type}",
                                 code="unsupported", permanent=True)  # fmt: skip
        return [
            CrmField(
                name=s.text(f.get("key")),
                label=s.text(f.get("name")),
                type=s.text(f.get("field_type")) or "varchar",
                required=bool(f.get("mandatory_flag")),
                custom=bool(f.get("edit_flag")),
            )
            for f in self._person_fields()
        ]

    def _label_field(self) -> dict[str, Any]:
        return next((f for f in self._person_fields() if f.get("key") == LABELS_FIELD), {})

    def _labels(self) -> tuple[str, dict[str, str]]:
        """The labels field's key and its options, ids by lower-cased label."""
        field = self._label_field()
        options = [s.obj(o) for o in s.items(field.get("options"))]
        return s.text(field.get("key")) or LABELS_FIELD, {
            s.text(o.get("label")).lower(): s.text(o.get("id")) for o in options
        }

    def ensure_tags(self, tags: list[str]) -> list[str]:
        """Add the person labels ``tags`` names that the company lacks; returns those added.

        A Pipedrive label must exist before a person can carry it. Adding is serialised per
        connection (``connectors.locks``) and the labels are read again under the lock, so two
        workers never add the same label twice. A company that does not let the app change
        its fields (no admin scope: 403) refuses: a permanent error, as an unknown label was."""
        if all(t.lower() in self._labels()[1] for t in tags):
            return []
        with locks.lock(self.http.connection.pk, "labels", ttl=LABELS_LOCK_TTL_S,
                        wait=LABELS_LOCK_WAIT_S) as acquired:  # fmt: skip
            if not acquired:
                raise ConnectorError("pipedrive: labels lock busy", code="lock_busy",
                                     retry_after=5)  # fmt: skip
            self.fields.rows(fresh=True)  # another worker may have added them meanwhile
            key, by_name = self._labels()
            # One option per label whatever its case (Pipedrive would keep both spellings).
            lacking: dict[str, str] = {}
            for tag in tags:
                if tag.lower() not in by_name:
                    lacking.setdefault(tag.lower(), tag)
            missing = list(lacking.values())
            if not missing:
                return []
            response = self.http.request(
                "POST", f"/api/v2/personFields/{key}/options",
                json=[{"label": t} for t in missing], expect=(200, 403),
            )  # fmt: skip
            if response.status_code == 403:
                raise ConnectorError(
                    f"pipedrive: no person label {missing!r}, and adding labels was refused "
                    f"(403: {s.text(s.obj(response.json()).get('error'))[:200]})",
                    status=403, code="unknown_label", permanent=True,
                )  # fmt: skip
            # The answer is the added options with their ids: no need to read the fields again.
            field = self._label_field()
            field["options"] = [*s.items(field.get("options")),
                                *s.items(s.obj(response.json()).get("data"))]  # fmt: skip
            self.fields.remember()
            return missing

    def tag_contact(self, record_id: str, tags: list[str]) -> CrmRecord:
        """Tags are person labels; a label the company has not defined is a permanent error
        (``ensure_tags`` adds them first)."""
        by_name = self._labels()[1]
        unknown = [t for t in tags if t.lower() not in by_name]
        if unknown:
            raise ConnectorError(f"pipedrive: no person label {unknown!r}", code="unknown_label",
                                 permanent=True)  # fmt: skip
        current = _person_record(s.obj(self._data("GET", f"/api/v2/persons/{record_id}")))
        previous = current.fields[LABELS_FIELD]
        merged = s.merge_tags(s.split_tags(previous, ","), [by_name[t.lower()] for t in tags])
        self._data("PATCH", f"/api/v2/persons/{record_id}",
                   json={LABELS_FIELD: [int(i) for i in merged]})  # fmt: skip
        return CrmRecord(id=record_id, object_type="contact", fields={LABELS_FIELD: previous})

    def restore_fields(self, object_type: str, record_id: str, values: dict[str, str]) -> None:
        if object_type == "contact":
            current = None
            if any(n in values for n in NAME_PARTS):  # the other half of the name, as it is
                found = self.http.request("GET", f"{PATHS[object_type]}/{record_id}",
                                          expect=(200, 404))  # fmt: skip
                if found.status_code == 404:
                    return  # gone: nothing to restore
                current = _person_record(s.obj(s.obj(found.json()).get("data")))
            body, _ = self._person_body(values, current)  # no field: nothing was written
        elif object_type == "meeting":
            body = meeting_restore_body(values)
        else:
            body = {k: (int(v) if k == "stage_id" else v) for k, v in values.items()}
        self.http.request("PATCH", f"{PATHS[object_type]}/{record_id}", json=body,
                          expect=(200, 404))  # fmt: skip

    def iter_contacts(self, page_size: int = 100) -> Iterator[CrmRecord]:
        params: dict[str, Any] = {"limit": max(1, min(page_size, 500))}
        while True:
            body = s.obj(self.http.request("GET", "/api/v2/persons", params=params).json())
            for row in s.items(body.get("data")):
                yield _person_record(s.obj(row))
            cursor = s.obj(body.get("additional_data")).get("next_cursor")
            if not cursor:
                return
            params["cursor"] = s.text(cursor)


def build(connection: Connection) -> PipedriveClient:
    return PipedriveClient(s.make_http(connection))
